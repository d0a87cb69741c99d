// SPDX-License-Identifier: Apache-2.0
// The corpus of malformed inputs (tests/malformed/, see its README): every case makes the
// real binary exit 2 with exactly the expected message, before sending anything, without a
// signal and within 10 s -- also when the input is 20,000 levels deep or a "billion laughs".

#include "support/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace malformed_corpus_test {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kTimeLimit{10};

fs::path corpus_dir() {
  return fs::path(source_dir()) / "tests" / "malformed";
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(corpus_dir())) {
    if (entry.is_directory()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The placeholders of big inputs (tests/malformed/README.md), expanded.
std::string expand_placeholders(std::string text) {
  const std::size_t depth = 20'000;
  text = replace_all(text, "@NESTED_20000@", std::string(depth, '[') + std::string(depth, ']'));
  return replace_all(text, "@PAD_17MIB@", std::string(std::size_t{17} << 20, 'x'));
}

/// Copies the case into `dir`, expanding placeholders in every file.
void copy_case(const fs::path& from, const TempDir& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (entry.is_regular_file()) {
      dir.write(fs::relative(entry.path(), from).string(),
                expand_placeholders(read_file(entry.path())));
    }
  }
}

/// `args.txt`, one command per line with arguments separated by spaces; by default the
/// config is validated, dry-run and run.
std::vector<std::vector<std::string>> commands_of(const fs::path& dir) {
  if (!fs::exists(dir / "args.txt")) {
    return {{"validate"}, {"eval", "--dry-run"}, {"eval"}};
  }
  std::vector<std::vector<std::string>> commands;
  std::istringstream lines(read_file(dir / "args.txt"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> args;
    for (std::string word; words >> word;) {
      args.push_back(word);
    }
    if (!args.empty()) {
      commands.push_back(args);
    }
  }
  return commands;
}

std::string joined(const std::vector<std::string>& args) {
  std::string text = "promptbench";
  for (const std::string& arg : args) {
    text += " " + arg;
  }
  return text;
}

class MalformedCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedCorpus, ExitsTwoWithTheExpectedMessage) {
  const fs::path source = corpus_dir() / GetParam();
  const std::string expected = read_file(source / "expected.txt");
  for (const auto& args : commands_of(source)) {
    SCOPED_TRACE(joined(args));
    const TempDir dir;
    copy_case(source, dir);
    RunOptions options;
    options.timeout = std::chrono::seconds(60);  // killed (and failed) long after the limit
    const auto start = std::chrono::steady_clock::now();
    const ProcessResult result = promptbench(dir, args, options);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(result.timed_out);
    EXPECT_LT(result.exit_code, 128) << "killed by signal " << result.exit_code - 128;
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, expected);
    EXPECT_EQ(result.out, "");
    EXPECT_LT(elapsed, kTimeLimit);
    EXPECT_FALSE(fs::exists(dir.path() / "promptbench-report.json")) << "a report was written";
  }
}

/// gtest names allow letters, digits and '_'; case folders use '-'.
std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedCorpus, ::testing::ValuesIn(case_names()), test_name);

}  // namespace
}  // namespace malformed_corpus_test
}  // namespace promptbench::testing
