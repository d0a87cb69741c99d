// SPDX-License-Identifier: Apache-2.0
// `promptbench init`: the scaffold validates, runs against the sentiment stub, and init
// never overwrites a file -- it checks every target before writing any.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace promptbench::testing {
namespace init_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kScaffold[] = {"promptbench.yaml", "prompts/answer.mustache",
                                     "datasets/cases.jsonl", ".gitignore"};

/// Every regular file under `dir` with its contents, to see that a refused init changed none.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), dir).string()] = read_file(entry.path());
    }
  }
  return files;
}

TEST(Init, ScaffoldValidatesAndRunsAgainstTheSentimentStub) {
  TempDir dir;
  const ProcessResult init = promptbench(dir, {"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  for (const char* file : kScaffold) {
    EXPECT_TRUE(fs::is_regular_file(dir.path() / file)) << file;
    EXPECT_THAT(init.out, HasSubstr(file));
  }
  EXPECT_THAT(init.out, HasSubstr("--mode sentiment --port 0 --port-file"));
  EXPECT_THAT(init.out, HasSubstr("PROMPTBENCH_BASE_URL="));
  EXPECT_THAT(init.out, HasSubstr("api_key_env"));
  EXPECT_THAT(read_file(dir.path() / ".gitignore"), HasSubstr(".promptbench/\n"));

  const ProcessResult validated = promptbench(dir, {"validate"});
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_EQ(validated.out,
            "promptbench.yaml: ok (10 cases x 2 variants = 20 requests, 3 metrics)\n");

  StubServer stub({"--mode", "sentiment"});
  RunOptions options;
  options.env = {{"PROMPTBENCH_BASE_URL", stub.base_url()}};
  const ProcessResult run = promptbench(dir, {"eval", "-q"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(read_file(dir.path() / "promptbench-report.json"));
  EXPECT_EQ(report["cases"].size(), 10U);
  // The stub labels every case right; only the prompt that asks for one word matches exactly.
  for (const json& variant : report["variants"]) {
    const double exact = variant["metrics"]["exact_match"]["mean"].get<double>();
    const double contains = variant["metrics"]["contains"]["mean"].get<double>();
    EXPECT_EQ(contains, 1.0) << variant["id"];
    EXPECT_EQ(exact, variant["id"] == "answer/local" ? 1.0 : 0.0) << variant["id"];
  }
}

TEST(Init, RefusesToOverwriteAndWritesNothing) {
  TempDir dir;
  ASSERT_EQ(promptbench(dir, {"init"}).exit_code, 0);
  dir.write("prompts/answer.mustache", "my own prompt {{text}}\n");
  fs::remove(dir.path() / "promptbench.yaml");
  const auto before = snapshot(dir.path());
  const ProcessResult again = promptbench(dir, {"init"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("prompts/answer.mustache: already exists"));
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(snapshot(dir.path()), before);  // in particular, no promptbench.yaml
}

TEST(Init, RefusesWhenOnlyTheDatasetExists) {
  TempDir dir;
  dir.write("proj/datasets/cases.jsonl", "{}\n");
  const ProcessResult result = promptbench(dir, {"init", "proj"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("proj/datasets/cases.jsonl: already exists"));
  EXPECT_EQ(snapshot(dir.path()).size(), 1U);
  EXPECT_FALSE(fs::exists(dir.path() / "proj" / ".gitignore"));
}

TEST(Init, AppendsTheCacheToAnExistingGitignore) {
  TempDir dir;
  dir.write(".gitignore", "build/\n*.o");  // no final newline
  const ProcessResult result = promptbench(dir, {"init"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(dir.path() / ".gitignore"), "build/\n*.o\n.promptbench/\n");
}

TEST(Init, LeavesAGitignoreThatIgnoresTheCacheAlone) {
  TempDir dir;
  dir.write(".gitignore", "build/\n.promptbench/\n");
  const ProcessResult result = promptbench(dir, {"init"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(dir.path() / ".gitignore"), "build/\n.promptbench/\n");
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "promptbench.yaml"));
}

TEST(Init, CreatesANestedDirectory) {
  TempDir dir;
  const ProcessResult result = promptbench(dir, {"init", "a/b/evals"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* file : kScaffold) {
    EXPECT_TRUE(fs::is_regular_file(dir.path() / "a/b/evals" / file)) << file;
  }
  EXPECT_THAT(result.out, HasSubstr("cd a/b/evals\n"));
  EXPECT_EQ(promptbench(dir, {"validate", "a/b/evals/promptbench.yaml"}).exit_code, 0);
}

TEST(Init, RefusesNextToAnotherDefaultConfig) {
  TempDir dir;
  dir.write("promptbench.json", "{}\n");
  const ProcessResult result = promptbench(dir, {"init"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("promptbench.json: already exists"));
  EXPECT_FALSE(fs::exists(dir.path() / "promptbench.yaml"));
}

TEST(Init, IsListedInTheHelp) {
  TempDir dir;
  const ProcessResult help = promptbench(dir, {"--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, ::testing::ContainsRegex("\n +init +[A-Z]"));
  const ProcessResult init_help = promptbench(dir, {"init", "--help"});
  ASSERT_EQ(init_help.exit_code, 0);
  EXPECT_THAT(init_help.out, HasSubstr("created if missing"));
}

}  // namespace
}  // namespace init_test
}  // namespace promptbench::testing
