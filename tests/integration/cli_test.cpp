// SPDX-License-Identifier: Apache-2.0
// The command line itself: --version, --help, subcommand errors, `validate` and `render`.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace cli_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

ProcessResult promptbench(const std::vector<std::string>& args) {
  TempDir dir;
  return promptbench(dir, args);
}

// Two prompts, two metrics, three rows; params with a nested value to see them merged verbatim.
constexpr const char* kConfig = R"(name: cli
providers:
  - id: stub
    base_url: @URL@
    model: test-model
    retries: 0
    params: {temperature: 0.25, max_tokens: 16, stop: ["\n", "END"], response_format: {type: text}}
  - id: other
    base_url: @URL@
    model: other-model
    retries: 0
prompts:
  - id: terse
    template: "Q{{id}}: {{question}}"
  - id: chat
    messages:
      - {role: system, content: "You answer {{topic}} questions."}
      - {role: user, content: "{{question}}"}
dataset:
  path: data/rows.jsonl
  reference: answer
metrics:
  - exact_match
  - contains
)";

constexpr const char* kRows =
    R"({"id": 1, "topic": "maths", "question": "What is 2+2?", "answer": "4"}
{"id": 2, "topic": "history", "question": "Who was \"Caesar\"?\nBriefly.", "answer": "a Roman"}
{"id": 3, "topic": "art", "question": "Who painted it?", "answer": "Vermeer"}
)";

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", replace_all(kConfig, "@URL@", m_stub.base_url()));
    m_dir.write("data/rows.jsonl", kRows);
  }

  ProcessResult run(const std::vector<std::string>& args) { return promptbench(m_dir, args); }
  int requests() const { return m_stub.stats()["requests"]; }

  StubServer m_stub;
  TempDir m_dir;
};

TEST(CliBasics, VersionPrintsTheVersionAndExitsZero) {
  const ProcessResult result = promptbench({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "promptbench 0.1.0\n");
  EXPECT_EQ(result.err, "");
}

TEST(CliBasics, HelpListsTheSubcommands) {
  const ProcessResult result = promptbench({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, ::testing::StartsWith("promptbench"));
  for (const char* command : {"eval", "validate", "render"}) {
    EXPECT_THAT(result.out, ::testing::ContainsRegex(std::string("\n +") + command + " +[A-Z]"))
        << command;
  }
}

TEST(CliBasics, EvalHelpListsItsOptions) {
  const ProcessResult result = promptbench({"eval", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag : {"--output", "--concurrency", "--limit", "--prompt", "--provider",
                           "--dry-run", "--quiet", "--verbose", "--color", "--progress"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
}

TEST(CliBasics, NoSubcommandIsAUsageError) {
  const ProcessResult result = promptbench({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "promptbench: error: A subcommand is required\n"
            "Run 'promptbench --help' for usage.\n");
}

TEST(CliBasics, UnknownSubcommandIsNamedInTheError) {
  const ProcessResult result = promptbench({"evaluate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("'evaluate'"));
}

TEST(CliBasics, MissingDefaultConfigIsAUsageError) {
  const ProcessResult result = promptbench({"validate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: no config given and no promptbench.yaml, promptbench.yml or "
            "promptbench.json here\n");
}

// `--prompt` is repeatable by repeating the flag; one flag takes one value, so the config may
// follow it as it may follow any other option.
TEST_F(Cli, RepeatableFilterTakesOneValueSoTheConfigMayFollowIt) {
  const ProcessResult result =
      run({"eval", "--prompt", "chat", "promptbench.yaml", "-o", "report.json", "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("3 cases x 2 variants = 6 requests"));
}

TEST_F(Cli, ValidateSummarisesTheRunAndSendsNothing) {
  const ProcessResult result = run({"validate", "promptbench.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // 3 rows x (2 prompts x 2 providers).
  EXPECT_EQ(result.out, "promptbench.yaml: ok (3 cases x 4 variants = 12 requests, 2 metrics)\n");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(requests(), 0);
}

TEST_F(Cli, ValidateFindsTheDefaultConfig) {
  const ProcessResult result = run({"validate"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "promptbench.yaml: ok (3 cases x 4 variants = 12 requests, 2 metrics)\n");
}

TEST_F(Cli, RenderPrintsTheExactRequestBody) {
  const ProcessResult result = run({"render", "--prompt", "chat", "--case", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(result.out.find('\n'), result.out.size() - 1) << "one line of JSON: " << result.out;
  const json expected = {{"model", "test-model"},
                         {"temperature", 0.25},
                         {"max_tokens", 16},
                         {"stop", {"\n", "END"}},
                         {"response_format", {{"type", "text"}}},
                         {"messages",
                          {{{"role", "system"}, {"content", "You answer history questions."}},
                           {{"role", "user"}, {"content", "Who was \"Caesar\"?\nBriefly."}}}}};
  EXPECT_EQ(json::parse(result.out), expected);
  EXPECT_EQ(requests(), 0);
}

TEST_F(Cli, RenderUsesTheNamedProvidersModelAndParams) {
  const ProcessResult result = run(
      {"render", "promptbench.yaml", "--prompt", "terse", "--provider", "other", "--case", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json expected = {{"model", "other-model"},
                         {"messages", {{{"role", "user"}, {"content", "Q3: Who painted it?"}}}}};
  EXPECT_EQ(json::parse(result.out), expected);
}

TEST_F(Cli, RenderTextPrintsTheFilledMessages) {
  const ProcessResult result = run({"render", "--prompt", "chat", "--case", "2", "--text"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "[system]\nYou answer history questions.\n"
            "[user]\nWho was \"Caesar\"?\nBriefly.\n");
}

TEST_F(Cli, RenderOfARowBeyondTheDatasetIsAUsageError) {
  const ProcessResult result = run({"render", "--prompt", "chat", "--case", "999"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "promptbench: error: --case 999: no case with that id or row number in "
            "data/rows.jsonl\n");
}

TEST_F(Cli, RenderOfAnUnknownPromptSuggestsTheNearestId) {
  const ProcessResult result = run({"render", "--prompt", "trese", "--case", "1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: --prompt 'trese' matches no prompt in the config (did you mean "
            "'terse'?)\n");
}

}  // namespace
}  // namespace cli_test
}  // namespace promptbench::testing
