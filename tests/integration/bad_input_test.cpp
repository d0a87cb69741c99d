// SPDX-License-Identifier: Apache-2.0
// Bad input of every kind: promptbench exits 2 with one located message (asserted in full) and
// never crashes or sends a request.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace bad_input_test {
namespace {

using nlohmann::json;

// "LINE:COL" (1-based) of the first occurrence of `token` in `text`; the test fails if absent.
// Expected messages are built with it, so they say which token the location must point at.
std::string where(const std::string& text, const std::string& token) {
  const std::size_t offset = text.find(token);
  if (offset == std::string::npos) {
    ADD_FAILURE() << "'" << token << "' is not in the text";
    return "?:?";
  }
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

// A TCP port on 127.0.0.1 that nothing listens on (bound by the kernel, then released).
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::runtime_error("socket failed");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// A valid config; each test breaks one thing in it.
constexpr const char* kConfig = R"(name: bad-input
providers:
  - id: stub
    base_url: @URL@
    model: m
    retries: 0
prompts:
  - id: plain
    template: "Case {{id}}: {{answer}}"
  - id: chat
    messages:
      - {role: system, content: "Answer briefly."}
      - {role: user, content: "{{answer}}"}
dataset:
  path: cases.jsonl
  reference: label
  id: id
metrics:
  - exact_match
)";

constexpr const char* kCases = R"({"id": "r1", "answer": "yes", "label": "yes"}
{"id": "r2", "answer": "no", "label": "yes"}
{"id": "r3", "answer": "maybe", "label": "maybe"}
)";

// The stub every test points at, so a test can check that nothing was sent.
class BadInput : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.write("cases.jsonl", kCases); }

  std::string config() const { return replace_all(kConfig, "@URL@", m_stub.base_url()); }

  // Writes `text` as cfg.yaml, runs `promptbench COMMAND cfg.yaml FLAGS...`, expects exit 2 with
  // exactly `expected_err` on stderr, nothing on stdout and no request sent.
  void expect_rejected(const std::string& text, const std::string& expected_err,
                       const std::vector<std::string>& args = {"validate"}) {
    m_dir.write("cfg.yaml", text);
    std::vector<std::string> argv = {args.front(), "cfg.yaml"};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    if (args.front() == "eval") {
      argv.insert(argv.end(), {"-o", "report.json"});
    }
    const ProcessResult result = promptbench(m_dir, argv);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, expected_err);
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(m_stub.stats()["requests"], 0);
  }

  StubServer m_stub;
  TempDir m_dir;
};

TEST_F(BadInput, MalformedYamlIsLocated) {
  const std::string text = replace_all(config(), "    model: m\n", "    model: m: x\n");
  expect_rejected(text,
                  "promptbench: error: cfg.yaml:" + where(text, ": x") + ": illegal map value\n");
}

TEST_F(BadInput, UnknownKeySuggestsTheNearestKnownKey) {
  const std::string text =
      replace_all(config(), "    retries: 0\n", "    retries: 0\n    timout: 5s\n");
  expect_rejected(text, "promptbench: error: cfg.yaml:" + where(text, "timout") +
                            ": providers[0].timout: unknown key 'timout' (did you mean "
                            "'timeout'?)\n");
}

TEST_F(BadInput, WrongTypeNamesTheExpectedType) {
  const std::string text = "concurrency: many\n" + config();
  expect_rejected(text, "promptbench: error: cfg.yaml:" + where(text, "many") +
                            ": concurrency: expected an integer, got string\n");
}

TEST_F(BadInput, MissingTemplateVariableNamesVariablePromptAndCaseAndSendsNothing) {
  // Only the last row lacks the field: the whole dataset is checked before the first request.
  m_dir.write("cases.jsonl", std::string(kCases) + R"({"id": "r4", "label": "no"})" + "\n");
  const std::string text = config();
  expect_rejected(text,
                  "promptbench: error: cfg.yaml:" + where(text, "\"Case {{id}}") +
                      ": prompt 'plain': case 'r4' has no variable 'answer'\n",
                  {"eval"});
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json"));
}

TEST_F(BadInput, MisspeltVariableInAPromptFileIsLocatedAtTheTag) {
  const std::string prompt = "Case {{id}}\nQ: {{anwser}}\n";
  m_dir.write("prompts/q.mustache", prompt);
  const std::string text = replace_all(config(), "    template: \"Case {{id}}: {{answer}}\"\n",
                                       "    file: prompts/q.mustache\n");
  expect_rejected(text,
                  "promptbench: error: prompts/q.mustache:" + where(prompt, "{{anwser}}") +
                      ": prompt 'plain': case 'r1' has no variable 'anwser' (did you mean "
                      "'answer'?)\n",
                  {"eval"});
}

TEST_F(BadInput, MalformedJsonlLineIsReportedWithItsLine) {
  m_dir.write("cases.jsonl", R"({"id": "r1", "answer": "yes", "label": "yes"}

{"id": "r2", "answer": "no" "label": "yes"}
)");
  expect_rejected(config(),
                  "promptbench: error: cases.jsonl:3: malformed JSON: syntax error while parsing "
                  "object - unexpected string literal; expected '}'\n",
                  {"eval"});
}

TEST_F(BadInput, CsvWithWrongFieldCountIsReportedWithTheLineItStartsOn) {
  // The quoted field of the first row spans two lines, so the short row starts on line 4.
  m_dir.write("cases.csv", "id,answer,label\r\nr1,\"two\r\nlines\",x\r\nr2,no\r\nr3,c,c\r\n");
  const std::string text = replace_all(config(), "cases.jsonl", "cases.csv");
  expect_rejected(text,
                  "promptbench: error: cases.csv:4: expected 3 fields (as in the header), got 2\n");
}

TEST_F(BadInput, CsvWithQuotedCommasQuotesAndNewlinesParses) {
  m_dir.write("cases.csv",
              "\xEF\xBB\xBFid,answer,label\r\n"
              "r1,\"a, b\",x\r\n"
              "r2,\"say \"\"hi\"\"\r\nand bye\",y\r\n"
              "r3,plain,z\r\n");
  m_dir.write("cfg.yaml", replace_all(config(), "cases.jsonl", "cases.csv"));
  const ProcessResult validated = promptbench(m_dir, {"validate", "cfg.yaml"});
  EXPECT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_EQ(validated.out, "cfg.yaml: ok (3 cases x 2 variants = 6 requests, 1 metric)\n");
  const ProcessResult rendered =
      promptbench(m_dir, {"render", "cfg.yaml", "--prompt", "chat", "--case", "r2"});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  const json body = json::parse(rendered.out);
  EXPECT_EQ(body["messages"][1]["content"], "say \"hi\"\r\nand bye");
  const ProcessResult first =
      promptbench(m_dir, {"render", "cfg.yaml", "--prompt", "plain", "--case", "1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(json::parse(first.out)["messages"][0]["content"], "Case r1: a, b");
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

// The dataset path is a reference in the config like a prompt file, so a missing dataset is
// located at `dataset.path` the same way (and with the same wording).
TEST_F(BadInput, MissingDatasetFileIsLocatedAtDatasetPath) {
  const std::string text = replace_all(config(), "cases.jsonl", "missing.jsonl");
  expect_rejected(text, "promptbench: error: cfg.yaml:" + where(text, "missing.jsonl") +
                            ": dataset.path: dataset file 'missing.jsonl' not found\n");
}

TEST_F(BadInput, MissingPromptFileIsLocatedAtItsField) {
  const std::string text = replace_all(config(), "    template: \"Case {{id}}: {{answer}}\"\n",
                                       "    file: prompts/missing.mustache\n");
  expect_rejected(text, "promptbench: error: cfg.yaml:" + where(text, "prompts/missing") +
                            ": prompts[0].file: prompt file 'prompts/missing.mustache' not "
                            "found\n");
}

// Messages name files as the user would open them from the working directory, not relative
// to the config file's directory.
TEST_F(BadInput, LocatesDatasetErrorsRelativeToTheWorkingDirectory) {
  m_dir.write("conf/data/cases.jsonl", "{\"id\": \"r1\", \"answer\": \"yes\" \"label\": 1}\n");
  m_dir.write("conf/cfg.yaml", replace_all(config(), "cases.jsonl", "data/cases.jsonl"));
  const ProcessResult result = promptbench(m_dir, {"validate", "conf/cfg.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: conf/data/cases.jsonl:1: malformed JSON: syntax error while "
            "parsing object - unexpected string literal; expected '}'\n");
}

TEST_F(BadInput, LocatesPromptFileErrorsRelativeToTheWorkingDirectory) {
  m_dir.write("conf/prompts/q.mustache", "Q: {{anwser}}\n");
  m_dir.write("conf/cases.jsonl", kCases);
  m_dir.write("conf/cfg.yaml", replace_all(config(), "    template: \"Case {{id}}: {{answer}}\"\n",
                                           "    file: prompts/q.mustache\n"));
  const ProcessResult result = promptbench(m_dir, {"validate", "conf/cfg.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: conf/prompts/q.mustache:1:4: prompt 'plain': case 'r1' has no "
            "variable 'anwser' (did you mean 'answer'?)\n");
}

TEST_F(BadInput, UnreachableEndpointIsAConfigErrorAtBaseUrlWithAPartialReport) {
  const int port = unused_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  const std::string text = replace_all(config(), m_stub.base_url(), url);
  m_dir.write("cfg.yaml", text);
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult result = promptbench(m_dir, {"eval", "cfg.yaml", "-o", "report.json"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // generous: the machine may be loaded
  // curl's own text carries the time it took to fail; everything else is asserted verbatim.
  const std::string err =
      std::regex_replace(result.err, std::regex(" after [0-9]+ ms: "), " after N ms: ");
  EXPECT_EQ(err, "promptbench: error: cfg.yaml:" + where(text, url) +
                     ": providers[0].base_url: cannot connect to " + url +
                     " (provider 'stub'): Failed to connect to 127.0.0.1 port " +
                     std::to_string(port) + " after N ms: Couldn't connect to server\n");
  ASSERT_TRUE(std::filesystem::exists(m_dir.path() / "report.json"));
  const json report = json::parse(read_file(m_dir.path() / "report.json"));
  EXPECT_EQ(report["run"]["complete"], false);
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json.tmp"));
}

TEST_F(BadInput, UnknownFlagIsAUsageError) {
  expect_rejected(config(),
                  "promptbench: error: The following argument was not expected: --bogus\n"
                  "Run 'promptbench --help' for usage.\n",
                  {"eval", "--bogus"});
}

TEST_F(BadInput, PromptFilterNamingNoPromptSuggestsTheNearestId) {
  expect_rejected(config(),
                  "promptbench: error: --prompt 'chta' matches no prompt in the config (did you "
                  "mean 'chat'?)\n",
                  {"eval", "--prompt", "chta"});
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json"));
}

}  // namespace
}  // namespace bad_input_test
}  // namespace promptbench::testing
