// SPDX-License-Identifier: Apache-2.0
// Tests of the command metric: a real scorer process (POSIX sh scripts) over JSON lines,
// and each way it can fail: an exit, a timeout, a reply that is not the protocol's.
#include <sys/stat.h>

#include <chrono>

#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

class CommandMetric : public ::testing::Test {
 protected:
  /// Writes an executable sh script named `name` into the scratch dir.
  void script(const std::string& name, const std::string& body) {
    const auto path = m_dir.write(name, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), 0755);
  }

  std::unique_ptr<Metric> command(json params) {
    MetricConfig config = testing::metric_config("command", std::move(params));
    config.base_dir = m_dir.path();
    return make_metric(config);
  }

  std::string param_error(json params) {
    try {
      (void)command(std::move(params));
    } catch (const ParamError& e) {
      return e.key() + ": " + e.what();
    }
    return "no error";
  }

  static tl::expected<Score, std::string> score(const Metric& metric, const std::string& output,
                                                const std::string& id = "c1") {
    const json reference = "yes";
    const json vars = {{"q", "Is it?"}};
    Completion completion;
    completion.text = output;
    return metric.score(ScoreInput{output, output, reference, vars, completion, nullptr, id});
  }

  testing::ScratchDir m_dir;
};

// Replies from what it reads: the request's id, output, reference and vars reach it.
constexpr const char* kJudgeOfYes = R"(while IFS= read -r line; do
  case "$line" in
    *'"id":"c7"'*'"output":"yes"'*'"reference":"yes"'*'"vars":{"q":"Is it?"}'*)
      echo '{"score": 1, "pass": true, "reason": "said yes"}' ;;
    *) echo '{"score": 0.25}' ;;
  esac
done
)";

// Counts the requests it has seen: the score says whether one process served them all.
constexpr const char* kCounter = R"(n=0
while IFS= read -r line; do n=$((n + 1)); echo "{\"score\": $n}"; done
)";

TEST_F(CommandMetric, SendsTheCaseAndReadsScorePassAndReason) {
  script("judge.sh", kJudgeOfYes);
  const auto metric = command({{"run", "./judge.sh"}, {"threshold", 0.5}});
  const auto yes = score(*metric, "yes", "c7");
  ASSERT_TRUE(yes.has_value()) << yes.error();
  EXPECT_EQ(yes->value, 1);
  EXPECT_EQ(yes->pass, true);
  EXPECT_EQ(yes->detail, json({{"reason", "said yes"}}));
  const auto no = score(*metric, "no", "c7");
  EXPECT_EQ(no->value, 0.25);
  EXPECT_EQ(no->pass, false);  // no 'pass' in the reply: the threshold decides
  EXPECT_TRUE(no->detail.is_null());
}

TEST_F(CommandMetric, OneLongLivedProcessServesEveryCase) {
  script("count.sh", kCounter);
  const auto metric = command({{"run", json::array({"/bin/sh", "count.sh"})}});
  for (int expected = 1; expected <= 5; ++expected) {
    EXPECT_EQ(score(*metric, "x")->value, expected);
  }
}

TEST_F(CommandMetric, AScorerThatExitsIsAnErrorAndIsRestarted) {
  script("crash.sh", "IFS= read -r line\nexit 3\n");
  const auto metric = command({{"run", "./crash.sh"}});
  EXPECT_EQ(score(*metric, "x").error(), "the scorer exited with status 3 before replying");
  EXPECT_EQ(score(*metric, "x").error(), "the scorer exited with status 3 before replying");
}

TEST_F(CommandMetric, AScorerThatHangsIsStoppedAtTheTimeout) {
  script("hang.sh", "while IFS= read -r line; do sleep 30; done\n");
  const auto metric = command({{"run", "./hang.sh"}, {"timeout", "200ms"}});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(score(*metric, "x").error(), "the scorer gave no reply within 200 ms and was stopped");
  // The scorer was killed, not waited for: well under its 30 s sleep.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

TEST_F(CommandMetric, GarbageIsAnErrorAndTheScorerStartsAfresh) {
  // Garbage on its first request only: a restarted scorer answers garbage again, one that
  // was kept would answer {"score": 2}.
  script("garbage.sh", R"(n=0
while IFS= read -r line; do
  n=$((n + 1))
  if [ $n -eq 1 ]; then echo 'Score: high'; else echo "{\"score\": $n}"; fi
done
)");
  const auto metric = command({{"run", "./garbage.sh"}});
  EXPECT_EQ(score(*metric, "x").error(), "the scorer's reply is not a JSON object: 'Score: high'");
  EXPECT_EQ(score(*metric, "x").error(), "the scorer's reply is not a JSON object: 'Score: high'");
}

TEST_F(CommandMetric, RepliesWithoutANumericScoreOrWithABadPassAreErrors) {
  script("noscore.sh", "while IFS= read -r line; do echo '{\"pass\": true}'; done\n");
  EXPECT_EQ(score(*command({{"run", "./noscore.sh"}}), "x").error(),
            "the scorer's reply has no numeric 'score': '{\"pass\": true}'");
  script("badpass.sh", "while IFS= read -r line; do echo '{\"score\": 1, \"pass\": 1}'; done\n");
  EXPECT_EQ(score(*command({{"run", "./badpass.sh"}}), "x").error(),
            "the scorer's 'pass' is not true or false: '{\"score\": 1, \"pass\": 1}'");
}

TEST_F(CommandMetric, AReasonNestedDeeperThanARowMayBeIsAnError) {
  // Its reason would go into the report as it is, and writing it would recurse 20,000 deep.
  const std::string deep = std::string(20'000, '[') + std::string(20'000, ']');
  m_dir.write("deep.json", "{\"score\": 1, \"reason\": " + deep + "}\n");
  script("deep.sh", "while IFS= read -r line; do cat deep.json; done\n");
  const auto metric = command({{"run", "./deep.sh"}});
  EXPECT_EQ(score(*metric, "x").error(), "the scorer's reply nests deeper than 100 levels");
}

TEST_F(CommandMetric, ChecksItsParametersWhenTheConfigLoads) {
  EXPECT_EQ(param_error(json::object()),
            "run: missing required parameter 'run' (the scorer's command line)");
  EXPECT_EQ(param_error({{"run", "  "}}), "run: expected a command line, got an empty one");
  EXPECT_EQ(param_error({{"run", "./missing.sh"}}),
            "run: './missing.sh' is not an executable file (paths are relative to the config "
            "file)");
  EXPECT_EQ(param_error({{"run", "no-such-scorer-program --flag"}}),
            "run: program 'no-such-scorer-program' not found on PATH");
  EXPECT_EQ(param_error({{"run", "sh"}, {"timeout", "soon"}}),
            "timeout: expected a duration like 10s or 500ms, got \"soon\"");
  EXPECT_EQ(param_error({{"run", "sh"}, {"timeout", 0}}),
            "timeout: expected a duration like 10s or 500ms, got 0");
}

}  // namespace
}  // namespace promptbench
