// SPDX-License-Identifier: Apache-2.0
// eval --watch with the real binary against the stub, driven by editing files: a prompt edit
// re-runs and sends only that prompt's requests, the change table names the flipped cases, a
// broken config prints its located error and keeps watching, and Ctrl-C ends it (exit 130).
// Every wait is bounded.

#include "support/harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace promptbench::testing {
namespace watch_test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kRows = 6;
constexpr auto kPatience = 20s;  // a run of 12 requests takes well under a second

/// Two prompts from files; the echo stub answers the prompt, and every odd row's label is
/// another word, so both prompts pass `contains` on the even rows only. (The prompts differ,
/// so no two requests have the same body: identical bodies would be sent once.)
std::string config(const StubServer& stub, const std::string& retries_key = "retries") {
  return "name: watch\n"
         "providers:\n"
         "  - {id: local, base_url: \"" +
         stub.base_url() + "\", model: m, " + retries_key +
         ": 0}\n"
         "prompts:\n"
         "  - {id: echo, file: prompts/echo.txt}\n"
         "  - {id: label, file: prompts/label.txt}\n"
         "dataset: {path: rows.jsonl, reference: label, id: id}\n"
         "metrics: [contains]\n";
}

std::string rows() {
  std::string text;
  for (int i = 0; i < kRows; ++i) {
    const std::string answer = "answer " + std::to_string(i);
    text += json{{"id", "row-" + std::to_string(i)},
                 {"text", answer},
                 {"label", i % 2 == 0 ? answer : "other"}}
                .dump() +
            "\n";
  }
  return text;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class EvalWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("cfg.yaml", config(m_stub));
    m_dir.write("prompts/echo.txt", "{{text}}");
    m_dir.write("prompts/label.txt", "Q: {{text}}");
    m_dir.write("rows.jsonl", rows());
    RunOptions options;
    options.working_dir = m_dir.path().string();
    options.unset_env.push_back("NO_COLOR");
    m_child.start({promptbench_bin(), "eval", "cfg.yaml", "--watch", "-o", "report.json",
                   "--progress", "never", "--color", "never"},
                  options);
  }

  /// Waits until the watch has said "watching" `runs` times: the run before it is over.
  void wait_for_runs(std::size_t runs) {
    ASSERT_TRUE(eventually([&] {
      return occurrences(m_child.err_so_far(), "promptbench: watching ") >= runs ||
             !m_child.is_running();
    }));
    ASSERT_TRUE(m_child.is_running()) << m_child.err_so_far();
    ASSERT_EQ(occurrences(m_child.err_so_far(), "promptbench: watching "), runs)
        << m_child.err_so_far();
  }

  /// Saves as editors do: a new file renamed over the old one.
  void save(const std::string& relative, const std::string& content) {
    const auto temporary = m_dir.write(relative + ".tmp~", content);
    std::filesystem::rename(temporary, m_dir.path() / relative);
  }

  int requests() const { return m_stub.stats()["requests"]; }

  /// Ctrl-C, and the watch ends within 10 s with exit 130.
  ProcessResult interrupt() {
    EXPECT_TRUE(m_child.send_signal(SIGINT));
    auto result = m_child.wait_for(10s);
    EXPECT_TRUE(result.has_value()) << "still running 10 s after Ctrl-C";
    return result ? *result : m_child.wait();
  }

  StubServer m_stub;
  TempDir m_dir;
  ChildProcess m_child;
};

TEST_F(EvalWatch, APromptEditSendsOnlyThatPromptsRequestsAndShowsWhatFlipped) {
  wait_for_runs(1);
  EXPECT_EQ(requests(), 2 * kRows);
  EXPECT_EQ(occurrences(m_child.out_so_far(), "changes since the previous run"), 0u);
  EXPECT_NE(m_child.err_so_far().find("promptbench: watching 4 files (cfg.yaml, "
                                      "prompts/echo.txt, prompts/label.txt, rows.jsonl); "
                                      "Ctrl-C to stop\n"),
            std::string::npos)
      << m_child.err_so_far();

  save("prompts/label.txt", "Q: {{text}} or {{label}}");
  wait_for_runs(2);
  EXPECT_EQ(requests(), 3 * kRows) << "only the label prompt's requests are sent again";
  const std::string out = m_child.out_so_far();
  EXPECT_NE(out.find("changes since the previous run:\n"
                     "  variant      metric    before  now    change\n"
                     "  echo/local   contains  0.500   0.500  no change\n"
                     "  label/local  contains  0.500   1.000  +0.500\n"
                     "    fail -> pass (3): row-1, row-3, row-5\n"),
            std::string::npos)
      << out;
  EXPECT_NE(m_child.err_so_far().find("promptbench: prompts/label.txt changed; running again\n"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "report.json"));

  const ProcessResult result = interrupt();
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_NE(result.err.find("promptbench: stopped watching\n"), std::string::npos) << result.err;
}

TEST_F(EvalWatch, ABrokenConfigPrintsItsLocatedErrorAndFixingItRunsAgain) {
  wait_for_runs(1);
  const std::string broken = config(m_stub, "retriez");
  save("cfg.yaml", broken);
  wait_for_runs(2);
  const std::size_t line_start = broken.find("  - {id: local");
  const std::size_t column = broken.find("retriez") - line_start + 1;
  EXPECT_NE(m_child.err_so_far().find(
                "promptbench: error: cfg.yaml:3:" + std::to_string(column) +
                ": providers[0].retriez: unknown key 'retriez' (did you mean 'retries'?)\n"),
            std::string::npos)
      << m_child.err_so_far();

  save("cfg.yaml", config(m_stub));
  wait_for_runs(3);
  EXPECT_EQ(requests(), 2 * kRows) << "the fixed config's requests all come from the cache";
  EXPECT_NE(m_child.out_so_far().find("  label/local  contains  0.500   0.500  no change\n"),
            std::string::npos)
      << m_child.out_so_far();
  EXPECT_EQ(interrupt().exit_code, 130);
}

TEST_F(EvalWatch, ADatasetEditRunsAgainAndOnlyTheNewRowsAreSent) {
  wait_for_runs(1);
  save("rows.jsonl",
       rows() + json{{"id", "row-new"}, {"text", "new"}, {"label", "new"}}.dump() + "\n");
  wait_for_runs(2);
  EXPECT_EQ(requests(), 2 * kRows + 2);
  EXPECT_EQ(interrupt().exit_code, 130);
}

TEST(EvalWatchInterrupt, ACtrlCDuringARunStopsItAsEvalDoesAndEndsTheWatch) {
  StubServer stub({"--latency-ms", "1500"});
  TempDir dir;
  dir.write("cfg.yaml", config(stub));
  dir.write("prompts/echo.txt", "{{text}}");
  dir.write("prompts/label.txt", "Q: {{text}}");
  dir.write("rows.jsonl", rows());
  ChildProcess child;
  RunOptions options;
  options.working_dir = dir.path().string();
  child.start({promptbench_bin(), "eval", "cfg.yaml", "--watch", "-q", "-o", "report.json"},
              options);
  // The run is under way once its spool file exists; its requests take 1.5 s.
  ASSERT_TRUE(
      eventually([&] { return std::filesystem::exists(dir.path() / "report.json.cases.tmp"); }));
  ASSERT_TRUE(child.send_signal(SIGINT));
  const auto result = child.wait_for(kPatience);
  ASSERT_TRUE(result.has_value()) << "still running after Ctrl-C";
  EXPECT_EQ(result->exit_code, 130) << result->err;
  EXPECT_NE(result->err.find("promptbench: interrupted: partial report"), std::string::npos)
      << result->err;
  EXPECT_EQ(result->err.find("promptbench: watching"), std::string::npos) << result->err;
  EXPECT_EQ(json::parse(read_file(dir.path() / "report.json"))["run"]["complete"], false);
}

TEST(EvalWatchFlags, RefusesNoCacheAndDryRun) {
  TempDir dir;
  const ProcessResult no_cache = promptbench(dir, {"eval", "--watch", "--no-cache"});
  EXPECT_EQ(no_cache.exit_code, 2);
  EXPECT_EQ(no_cache.err,
            "promptbench: error: --watch needs the response cache, which makes a re-run send "
            "only the requests an edit changed: drop --no-cache\n");
  const ProcessResult dry_run = promptbench(dir, {"eval", "--watch", "--dry-run"});
  EXPECT_EQ(dry_run.exit_code, 2);
  EXPECT_EQ(dry_run.err,
            "promptbench: error: --watch runs the evaluation: drop --dry-run (or --watch)\n");
}

}  // namespace
}  // namespace watch_test
}  // namespace promptbench::testing
