// SPDX-License-Identifier: Apache-2.0
// The help texts and the stub's documented routes say what the programs really do.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace promptbench::testing {
namespace help_text_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ProcessResult run(const std::vector<std::string>& args) {
  TempDir dir;
  return promptbench(dir, args);
}

TEST(HelpText, ReportNamesOnlyCommandsThatExist) {
  const ProcessResult result = run({"report", "--help"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("The report JSON written by eval"));
  EXPECT_THAT(result.out, Not(HasSubstr("merge")));
}

TEST(HelpText, ValidateNamesEveryDefaultConfigFile) {
  const ProcessResult result = run({"validate", "--help"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Config file (default: promptbench.yaml, .yml or .json here)"));
}

TEST(HelpText, MetricsListsTheKeysEveryMetricTakes) {
  const ProcessResult result = run({"metrics"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out,
              ::testing::EndsWith("\n\nEvery metric also takes `name` (report key), `threshold` "
                                  "(pass/fail), `higher_is_better` (direction for thresholds, "
                                  "gates and comparisons) and `reference` (the dataset field it "
                                  "scores against instead of the dataset's reference).\n"));
}

TEST(Counts, SayOneCaseOneVariantAndOneRequestInTheSingular) {
  TempDir dir;
  dir.write("promptbench.yaml", R"yaml(providers:
  - {id: local, base_url: "http://127.0.0.1:9/v1", model: m}
prompts:
  - {id: p, template: "{{q}}"}
dataset: {path: cases.jsonl, reference: a}
)yaml");
  dir.write("cases.jsonl", R"({"q": "x", "a": "y"})"
                           "\n");
  const ProcessResult validated = promptbench(dir, {"validate"});
  EXPECT_EQ(validated.out, "promptbench.yaml: ok (1 case x 1 variant = 1 request, 1 metric)\n");
  const ProcessResult planned = promptbench(dir, {"eval", "--dry-run"});
  EXPECT_EQ(planned.out,
            "dry run: 1 case x 1 variant = 1 request; nothing sent\n"
            "  p/local  -> http://127.0.0.1:9/v1 (m)\n"
            "concurrency: 16 requests in flight at most (the sum of the providers' limits; per "
            "provider: local 16)\n");
}

// docs/STUB.md: `curl -X POST .../reset` (no body, no Content-Length) resets the counters.
TEST(StubReset, WorksWithoutABodyAndWithOne) {
  if (run_process({"sh", "-c", "command -v curl"}).exit_code != 0) {
    GTEST_SKIP() << "curl is not installed";
  }
  StubServer stub;
  const std::string url = "http://127.0.0.1:" + std::to_string(stub.port());
  run_process({"curl", "-s", "-X", "POST", "-d", "{}", url + "/v1/chat/completions"});
  ASSERT_EQ(stub.stats()["requests"], 1);
  const ProcessResult bodyless = run_process({"curl", "-s", "-X", "POST", url + "/reset"});
  EXPECT_EQ(bodyless.out, R"({"reset":true})");
  EXPECT_EQ(stub.stats()["requests"], 0);
  const ProcessResult with_body =
      run_process({"curl", "-s", "-X", "POST", "-d", "ignored", url + "/reset"});
  EXPECT_EQ(with_body.out, R"({"reset":true})");
  const ProcessResult get =
      run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/reset"});
  EXPECT_EQ(get.out, "404");
}

}  // namespace
}  // namespace help_text_test
}  // namespace promptbench::testing
