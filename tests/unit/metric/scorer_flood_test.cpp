// SPDX-License-Identifier: Apache-2.0
// An external scorer that floods its stdout: a reply line over the limit stops the scorer
// with an error naming it and the limit, lines no request asked for are refused rather than
// taken as later cases' replies, and memory stays bounded (README "Limits").
#include <sys/resource.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "metric/scorer_process.hpp"
#include "unit/metric/scoring.hpp"
#include "unit/temp_dir.hpp"
#include "util/input_limits.hpp"

namespace promptbench {
namespace scorer_flood_test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ScorerFlood : public ::testing::Test {
 protected:
  void script(const std::string& name, const std::string& body) {
    const auto path = m_dir.write(name, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), 0755);
  }

  std::unique_ptr<Metric> command(const std::string& run) {
    MetricConfig config = testing::metric_config("command", json{{"run", run}});
    config.base_dir = m_dir.path();
    return make_metric(config);
  }

  static tl::expected<Score, std::string> score(const Metric& metric) {
    const json reference = "yes";
    const json vars = json::object();
    Completion completion;
    completion.text = "x";
    return metric.score(ScoreInput{"x", "x", reference, vars, completion, nullptr, "c1"});
  }

  testing::ScratchDir m_dir;
};

/// Peak resident set of this process, in bytes.
std::size_t peak_rss() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

// One endless line: read up to the limit, then the scorer is killed; each case is an error
// of its own, with a fresh scorer that floods again.
TEST_F(ScorerFlood, AnEndlessLineIsStoppedAtTheLimit) {
  script("flood.sh", "read -r line\nyes | tr -d '\\n'\n");
  ScorerProcess process({"./flood.sh"}, m_dir.path(), 256 * 1024);
  for (int i = 0; i < 3; ++i) {
    const auto reply = process.exchange("{}", 30s);
    ASSERT_FALSE(reply.has_value()) << *reply;
    EXPECT_EQ(reply.error(),
              "the scorer './flood.sh' wrote more than 262144 bytes without ending its reply "
              "line and was stopped");
    EXPECT_EQ(process.pid(), 0);  // killed and reaped
  }
}

TEST_F(ScorerFlood, AReplyOfExactlyTheLimitIsTaken) {
  script("exact.sh", "while read -r line; do printf '%s\\n' \"$(printf '%0100d' 7)\"; done\n");
  ScorerProcess process({"./exact.sh"}, m_dir.path(), 100);
  const auto reply = process.exchange("{}", 30s);
  ASSERT_TRUE(reply.has_value()) << reply.error();
  EXPECT_EQ(reply->size(), 100U);
  ScorerProcess smaller({"./exact.sh"}, m_dir.path(), 99);
  EXPECT_FALSE(smaller.exchange("{}", 30s).has_value());
}

// The default limit through the command metric: 16 MiB read, not the gigabytes a scorer
// can write in its 30 s timeout; the error names the scorer and the limit.
TEST_F(ScorerFlood, TheCommandMetricRecordsTheFloodAsAnErrorWithBoundedMemory) {
  script("flood.sh", "while read -r line; do yes | tr -d '\\n'; done\n");
  const auto metric = command("./flood.sh");
  const std::size_t before = peak_rss();
  for (int i = 0; i < 2; ++i) {
    const auto result = score(*metric);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), fmt::format("the scorer './flood.sh' wrote more than {} bytes "
                                          "without ending its reply line and was stopped",
                                          util::kMaxScorerReplyBytes));
  }
  // Without the cap the scorer's 30 s would fill gigabytes. The margin is wide because a
  // sanitizer keeps freed buffers (the reply's as it grew) in quarantine, up to 256 MiB.
  EXPECT_LT(peak_rss(), before + (std::size_t{512} << 20));
}

// `yes`: a line per read, and every line garbage. The first is the reply, and not a JSON
// object; the scorer is restarted for the next case rather than left writing.
TEST_F(ScorerFlood, ALineFloodIsGarbageNotAHang) {
  script("yes.sh", "yes 2>/dev/null\n");
  const auto metric = command("./yes.sh");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(score(*metric).error(), "the scorer's reply is not a JSON object: 'y'");
  }
}

// Two replies per request: the second case would else get the first case's leftover.
TEST_F(ScorerFlood, LinesNoRequestAskedForAreAnErrorNotAnotherCasesReply) {
  script("chatty.sh", R"(n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '{"score": %d}\n{"score": 99}\n' "$n"
done
)");
  ScorerProcess process({"./chatty.sh"}, m_dir.path());
  ASSERT_EQ(process.exchange("{}", 30s).value_or("error"), "{\"score\": 1}");
  // Both lines came in one write, so the second is already here.
  const auto second = process.exchange("{}", 30s);
  ASSERT_FALSE(second.has_value()) << *second;
  EXPECT_EQ(second.error(),
            "the scorer './chatty.sh' wrote more than one line for a request and was stopped");
  // A fresh scorer for the next request.
  EXPECT_EQ(process.exchange("{}", 30s).value_or("error"), "{\"score\": 1}");
}

}  // namespace
}  // namespace scorer_flood_test
}  // namespace promptbench
