// SPDX-License-Identifier: Apache-2.0
// A provider's `headers:` end to end: sent with every request, a value from the environment
// never written anywhere, and left out of the cache key while a literal value counts.
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace provider_headers_test {
namespace {

/// `cases` rows c0..c{cases-1}; the stub echoes "yes c<i>" and the label is "yes".
std::string rows(int cases) {
  std::string text;
  for (int i = 0; i < cases; ++i) {
    text += fmt::format(R"({{"id": "c{}", "answer": "yes", "label": "yes"}})", i) + "\n";
  }
  return text;
}

std::string config(const std::string& base_url, const std::string& headers) {
  return fmt::format(R"(name: headers
providers:
  - {{id: s, base_url: "{}", model: m, retries: 0, headers: {}}}
prompts:
  - {{id: p, template: "{{{{answer}}}} {{{{id}}}}"}}
)",
                     base_url, headers) +
         R"cfg(dataset: {path: data.jsonl, reference: label, id: id}
extract: {regex: "^(\\w+)", group: 1}
metrics: [exact_match]
)cfg";
}

TEST(ProviderHeaders, AHeaderFromTheEnvironmentIsSentButNeverWritten) {
  // A gateway that takes its token in Authorization and, like some servers, echoes it back.
  const std::string secret = "gw-token-0123456789abcdef";
  StubServer stub({"--answer-status", "401", "--answer-body",
                   R"({"error":{"message":"bad gateway token: {authorization}"}})"});
  TempDir dir;
  dir.write("data.jsonl", rows(4));
  dir.write("cfg.yaml", config(stub.base_url(), R"({Authorization: "Bearer ${PB_HEADER_TOKEN}"})"));
  RunOptions options;
  options.env = {{"PB_HEADER_TOKEN", secret}};
  const ProcessResult run = promptbench(
      dir, {"eval", "cfg.yaml", "-q", "-v", "-o", "report.json", "--md", "r.md"}, options);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_EQ(stub.stats()["authorization_seen"], 4) << "the header goes with every request";
  EXPECT_NE(run.err.find("bad gateway token: Bearer <redacted>"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(secret), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos) << run.out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file() && entry.path().filename() != "cfg.yaml") {
      EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos) << entry.path();
    }
  }
}

TEST(ProviderHeaders, ANewTokenKeepsTheCacheButANewLiteralValueDoesNot) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", rows(3));
  const auto run_with = [&](const std::string& team, const std::string& org) {
    dir.write("cfg.yaml",
              config(stub.base_url(),
                     fmt::format(R"({{X-Org: "${{PB_HEADER_ORG}}", X-Team: {}}})", team)));
    RunOptions options;
    options.env = {{"PB_HEADER_ORG", org}};
    const ProcessResult run =
        promptbench(dir, {"eval", "cfg.yaml", "-q", "-o", "report.json"}, options);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return stub.stats()["requests"].get<int>();
  };
  EXPECT_EQ(run_with("blue", "org-first-token"), 3);
  EXPECT_EQ(run_with("blue", "org-second-token"), 3) << "a secret header is no part of the key";
  EXPECT_EQ(run_with("red", "org-second-token"), 6) << "a literal header is part of the key";
}

}  // namespace
}  // namespace provider_headers_test
}  // namespace promptbench::testing
