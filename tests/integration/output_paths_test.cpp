// SPDX-License-Identifier: Apache-2.0
// `eval` refuses outputs it could not write before it sends a request: exit 2, a message
// naming the option and the path, nothing sent and nothing left behind.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace output_paths_test {
namespace {

constexpr const char* kConfig = R"yaml(name: outputs
providers:
  - id: stub
    base_url: @URL@
    model: echo-model
    retries: 0
prompts:
  - id: p
    template: "{{answer}}"
dataset:
  path: cases.jsonl
  reference: label
)yaml";

class EvalOutputPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", replace_all(kConfig, "@URL@", m_stub.base_url()));
    m_dir.write("cases.jsonl", R"({"answer": "a", "label": "a"})"
                               "\n");
  }

  ProcessResult eval(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"eval", "promptbench.yaml"};
    args.insert(args.end(), extra.begin(), extra.end());
    return promptbench(m_dir, args);
  }

  /// Every entry in the project directory, recursively, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(m_dir.path())) {
      out.push_back(std::filesystem::relative(entry.path(), m_dir.path()).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void expect_refused(const std::vector<std::string>& extra, const std::string& message,
                      const std::vector<std::string>& left) {
    const ProcessResult result = eval(extra);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err, "promptbench: error: " + message + "\n");
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(m_stub.stats()["requests"], 0);
    EXPECT_EQ(entries(), left);  // no report, no .tmp, no cache
  }

  StubServer m_stub;
  TempDir m_dir;
};

TEST_F(EvalOutputPaths, RefusesADirectoryAsTheReportBeforeSendingAnything) {
  std::filesystem::create_directory(m_dir.path() / "out");
  expect_refused({"-o", "out/"}, "-o out/: is a directory",
                 {"cases.jsonl", "out", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, RefusesTwoOutputsToOneFileSpelledDifferently) {
  expect_refused({"-o", "x.json", "--md", "./x.json"}, "--md ./x.json: the same file as -o x.json",
                 {"cases.jsonl", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, RefusesAFormatBelowARegularFile) {
  expect_refused({"--csv", "cases.jsonl/out.csv"},
                 "--csv cases.jsonl/out.csv: cannot create directory cases.jsonl: Not a directory",
                 {"cases.jsonl", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, RefusesAnOutputOverItsDatasetConfigOrCache) {
  expect_refused({"--csv", "cases.jsonl"},
                 "--csv cases.jsonl: is an input of this command (./cases.jsonl), which it would "
                 "overwrite",
                 {"cases.jsonl", "promptbench.yaml"});
  expect_refused({"-o", "./promptbench.yaml"},
                 "-o ./promptbench.yaml: is an input of this command (promptbench.yaml), which it "
                 "would overwrite",
                 {"cases.jsonl", "promptbench.yaml"});
  expect_refused({"--md", ".promptbench/cache.db", "--dry-run"},
                 "--md .promptbench/cache.db: is an input of this command "
                 "(.promptbench/cache.db), which it would overwrite",
                 {"cases.jsonl", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, RefusesTheJsonReportOnStdout) {
  expect_refused({"-o", "-"},
                 "-o -: the JSON report is written to a file (atomically, then read back for the "
                 "other formats); give a path, or write another format to stdout with --junit -, "
                 "--md -, --csv -, --html -",
                 {"cases.jsonl", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, ADryRunChecksTheOutputsAndCreatesNothing) {
  const ProcessResult ok = eval({"-o", "new/dir/report.json", "--md", "new/r.md", "--dry-run"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(entries(), (std::vector<std::string>{"cases.jsonl", "promptbench.yaml"}));
  expect_refused({"-o", "a.json", "--junit", "a.json", "--dry-run"},
                 "--junit a.json: the same file as -o a.json", {"cases.jsonl", "promptbench.yaml"});
}

TEST_F(EvalOutputPaths, WritesIntoADirectoryItCreates) {
  const ProcessResult result =
      eval({"-o", "out/deep/report.json", "--md", "out/r.md", "-q", "--no-cache"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(entries(),
            (std::vector<std::string>{"cases.jsonl", "out", "out/deep", "out/deep/report.json",
                                      "out/r.md", "promptbench.yaml"}));
}

}  // namespace
}  // namespace output_paths_test
}  // namespace promptbench::testing
