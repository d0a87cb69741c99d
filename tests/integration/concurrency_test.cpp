// SPDX-License-Identifier: Apache-2.0
// Concurrency that does what the config says, and identical requests sent once: checked
// through the stub's own counts of requests and of requests in flight at once.
#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace promptbench::testing {
namespace concurrency_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// `cases` rows whose text cycles through `distinct` values.
std::string rows(int cases, int distinct) {
  std::string out;
  for (int i = 0; i < cases; ++i) {
    const std::string text = "t" + std::to_string(i % distinct);
    out += json{{"id", "c" + std::to_string(i)}, {"text", text}, {"label", text}}.dump() + "\n";
  }
  return out;
}

/// One provider (its `concurrency:` line as given, e.g. ", concurrency: 64"), two prompts;
/// `global` is the config's own top-level lines.
std::string config(const StubServer& stub, const std::string& provider_extra,
                   const std::string& global = "") {
  return "providers:\n  - {id: stub, base_url: \"" + stub.base_url() + "\", model: m" +
         provider_extra +
         "}\n"
         "prompts:\n  - {id: a, template: \"{{text}}\"}\n  - {id: b, template: \"say {{text}}\"}\n"
         "dataset: {path: cases.jsonl, reference: label, id: id}\n"
         "metrics: [exact_match]\n" +
         global;
}

ProcessResult eval(const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"eval", "promptbench.yaml", "-o", "report.json", "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  return promptbench(dir, args);
}

TEST(Concurrency, AProviderLimitOf64WithNoGlobalLimitReaches64InFlight) {
  StubServer stub({"--latency-ms", "300", "--threads", "96"});
  TempDir dir;
  dir.write("cases.jsonl", rows(128, 128));
  dir.write("promptbench.yaml", config(stub, ", concurrency: 64"));
  const ProcessResult result = eval(dir, {"--no-cache", "--prompt", "a"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["in_flight_max"], 64) << stub.stats().dump();
}

TEST(Concurrency, DashJRaisesAProviderThatNamesNoLimit) {
  StubServer stub({"--latency-ms", "300", "--threads", "64"});
  TempDir dir;
  dir.write("cases.jsonl", rows(96, 96));
  dir.write("promptbench.yaml", config(stub, ""));
  const ProcessResult result = eval(dir, {"--no-cache", "--prompt", "a", "-j", "48"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["in_flight_max"], 48) << stub.stats().dump();
}

TEST(Concurrency, AGlobalLimitBelowTheProvidersIsInForceAndSaysSo) {
  StubServer stub({"--latency-ms", "300", "--threads", "64"});
  TempDir dir;
  dir.write("cases.jsonl", rows(64, 64));
  dir.write("promptbench.yaml", config(stub, ", concurrency: 64", "concurrency: 12\n"));
  const ProcessResult dry = promptbench(dir, {"eval", "promptbench.yaml", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("concurrency: 12 requests in flight at most (concurrency: 12 "
                                 "in the config; per provider: stub 64)"));
  EXPECT_THAT(dry.out, HasSubstr("concurrency: 12 in the config is in force over the providers' "
                                 "own limits (stub 64), which add up to 64"));
  EXPECT_EQ(stub.stats()["requests"], 0);

  const ProcessResult run =
      promptbench(dir, {"eval", "promptbench.yaml", "-o", "report.json", "--no-cache", "-v",
                        "--prompt", "a", "--progress", "never"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("promptbench: concurrency: 12 requests in flight at most"));
  EXPECT_EQ(stub.stats()["in_flight_max"], 12) << stub.stats().dump();
}

TEST(SingleFlight, IdenticalRequestsCostOneRequestEach) {
  StubServer stub({"--latency-ms", "100"});
  TempDir dir;
  dir.write("cases.jsonl", rows(200, 37));
  dir.write("promptbench.yaml", config(stub, ", concurrency: 64"));
  const ProcessResult result = eval(dir, {"--cache", "cache.db"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["requests"], 37 * 2) << "one per distinct prompt and variant";
  EXPECT_EQ(stub.stats()["max_requests_per_body"], 1);
  const json report = json::parse(read_file(dir.path() / "report.json"));
  ASSERT_EQ(report["cases"].size(), 200u);
  for (const json& record : report["cases"]) {
    for (const json& result : record["results"]) {
      // The echo stub answers "say t3" to prompt b: a shared answer is still each case's own.
      EXPECT_EQ(result["scores"]["exact_match"], result["variant"] == "a/stub" ? 1 : 0)
          << record.dump();
    }
  }
}

TEST(SingleFlight, RepeatsStayIndependentSamples) {
  StubServer stub({"--latency-ms", "100"});
  TempDir dir;
  dir.write("cases.jsonl", rows(60, 10));
  dir.write("promptbench.yaml", config(stub, ", concurrency: 64", "repeat: 3\n"));
  const ProcessResult result = eval(dir, {"--cache", "cache.db", "--prompt", "a"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["requests"], 10 * 3) << "each distinct prompt once per repeat";
  EXPECT_EQ(stub.stats()["max_requests_per_body"], 3);
}

TEST(SingleFlight, WithoutTheCacheEveryCaseSendsItsOwn) {
  StubServer stub;
  TempDir dir;
  dir.write("cases.jsonl", rows(20, 2));
  dir.write("promptbench.yaml", config(stub, ""));
  const ProcessResult result = eval(dir, {"--no-cache", "--prompt", "a"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["requests"], 20);
}

TEST(Validate, CountsRepeatsAsTheDryRunDoes) {
  StubServer stub;
  TempDir dir;
  dir.write("cases.jsonl", rows(5, 5));
  dir.write("promptbench.yaml", config(stub, "", "repeat: 3\n"));
  const ProcessResult validate = promptbench(dir, {"validate"});
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(validate.out,
              HasSubstr("ok (5 cases x 2 variants x 3 repeats = 30 requests, 1 metric)"));
  const ProcessResult dry = promptbench(dir, {"eval", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("dry run: 5 cases x 2 variants x 3 repeats = 30 requests; "));
}

}  // namespace
}  // namespace concurrency_test
}  // namespace promptbench::testing
