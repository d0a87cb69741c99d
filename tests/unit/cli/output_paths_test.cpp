// SPDX-License-Identifier: Apache-2.0
#include "cli/output_paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "promptbench/error.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench::cli {
namespace {

namespace fs = std::filesystem;

/// Runs each test inside a scratch directory, so paths and messages are relative.
class OutputPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    m_previous = fs::current_path();
    fs::current_path(m_dir.path());
  }
  void TearDown() override { fs::current_path(m_previous); }

  /// The message `check` throws, or "" when it accepts.
  template <typename Check>
  static std::string check_refusal(Check check) {
    try {
      check();
    } catch (const UserError& error) {
      return error.what();
    }
    return "";
  }

  /// The message check_output_paths throws, or "" when it accepts the paths.
  static std::string refusal(const std::string& report,
                             const std::map<std::string, std::string>& formats = {},
                             const std::map<std::string, std::string>& streams = {}) {
    return check_refusal([&] { check_output_paths(report, formats, streams); });
  }

  /// The message check_format_paths (the report command's check) throws, or "".
  static std::string format_refusal(const std::map<std::string, std::string>& formats,
                                    const std::string& input) {
    return check_refusal([&] { check_format_paths(formats, input); });
  }

  /// Every entry left in the scratch directory, recursively.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(m_dir.path())) {
      out.push_back(fs::relative(entry.path(), m_dir.path()).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::ScratchDir m_dir;
  fs::path m_previous;
};

TEST_F(OutputPaths, AcceptsWritablePathsAndLeavesNothingBehind) {
  EXPECT_EQ(refusal("report.json", {{"md", "out/deep/report.md"}, {"csv", "-"}, {"junit", ""}}),
            "");
  EXPECT_EQ(entries(), std::vector<std::string>{});  // no probe file, no directory made
}

TEST_F(OutputPaths, KeepsAnExistingReportAndItsDirectory) {
  m_dir.write("out/report.json", "{}");
  EXPECT_EQ(refusal("out/report.json"), "");
  EXPECT_EQ(entries(), (std::vector<std::string>{"out", "out/report.json"}));
}

TEST_F(OutputPaths, RefusesADirectory) {
  fs::create_directory("out");
  EXPECT_EQ(refusal("out/"), "-o out/: is a directory");
  EXPECT_EQ(refusal("out"), "-o out: is a directory");
  EXPECT_EQ(refusal("r.json", {{"junit", "out"}}), "--junit out: is a directory");
}

TEST_F(OutputPaths, RefusesAPathBelowARegularFile) {
  m_dir.write("notes.txt", "x");
  EXPECT_EQ(refusal("notes.txt/report.json"),
            "-o notes.txt/report.json: cannot create directory notes.txt: Not a directory");
  EXPECT_EQ(refusal("r.json", {{"csv", "notes.txt/sub/r.csv"}}),
            "--csv notes.txt/sub/r.csv: cannot create directory notes.txt/sub: Not a directory");
  EXPECT_EQ(entries(), std::vector<std::string>{"notes.txt"});
}

TEST_F(OutputPaths, RefusesADeviceThatTheFinishedFileWouldReplace) {
  EXPECT_EQ(refusal("/dev/null"), "-o /dev/null: is not a regular file");
}

TEST_F(OutputPaths, RefusesAnOutputThatIsAnInput) {
  m_dir.write("parts/p0.json", "{}");
  EXPECT_EQ(check_refusal(
                [] { check_output_paths("parts/../parts/p0.json", {}, {}, {"parts/p0.json"}); }),
            "-o parts/../parts/p0.json: is an input of this command (parts/p0.json), which it "
            "would overwrite");
  EXPECT_EQ(format_refusal({{"md", "./r.json"}}, "r.json"),
            "--md ./r.json: is an input of this command (r.json), which it would overwrite");
  EXPECT_EQ(format_refusal({{"md", "r.md"}, {"csv", "-"}}, "r.json"), "");
}

TEST_F(OutputPaths, TheReportCommandsFormatsAreCheckedLikeEvals) {
  ASSERT_EQ(mkfifo("pipe", 0600), 0);
  EXPECT_EQ(format_refusal({{"html", "pipe"}}, "r.json"), "--html pipe: is not a regular file");
  EXPECT_EQ(format_refusal({{"md", "x"}, {"csv", "./x"}}, "r.json"),
            "--md x: the same file as --csv ./x");
}

TEST_F(OutputPaths, RefusesADirectoryThatTakesNoFiles) {
  // /proc takes no new files, not even from root.
  EXPECT_EQ(refusal("/proc/report.json"),
            "-o /proc/report.json: cannot create a file in /proc: No such file or directory");
}

TEST_F(OutputPaths, RefusesAReadOnlyDirectory) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "root writes into a read-only directory";
  }
  fs::create_directory("locked");
  chmod("locked", 0555);
  EXPECT_EQ(refusal("locked/report.json"),
            "-o locked/report.json: cannot create a file in locked: Permission denied");
  chmod("locked", 0755);
}

TEST_F(OutputPaths, RefusesTwoOutputsToTheSameFileHoweverSpelled) {
  EXPECT_EQ(refusal("x", {{"md", "x"}}), "--md x: the same file as -o x");
  EXPECT_EQ(refusal("x", {{"md", "./x"}}), "--md ./x: the same file as -o x");
  EXPECT_EQ(refusal("r.json", {{"csv", "a/../out.csv"}, {"md", "out.csv"}}),
            "--md out.csv: the same file as --csv a/../out.csv");
  const std::string absolute = (fs::current_path() / "r.json").string();
  EXPECT_EQ(refusal("r.json", {{"junit", absolute}}),
            "--junit " + absolute + ": the same file as -o r.json");
  EXPECT_EQ(entries(), std::vector<std::string>{});
}

TEST_F(OutputPaths, ChecksTheSamplesStreamLikeTheOtherOutputs) {
  EXPECT_EQ(refusal("r.json", {}, {{"samples", "./r.json"}}),
            "--samples ./r.json: the same file as -o r.json");
  EXPECT_EQ(refusal("r.json", {{"csv", "s.jsonl"}}, {{"samples", "s.jsonl"}}),
            "--samples s.jsonl: the same file as --csv s.jsonl");
  EXPECT_EQ(refusal("r.json", {}, {{"samples", "-"}}),
            "--samples -: expected a file path (stdout holds the summary table)");
  fs::create_directory("dir");
  EXPECT_EQ(refusal("r.json", {}, {{"samples", "dir"}}), "--samples dir: is a directory");
  EXPECT_EQ(refusal("r.json", {}, {{"samples", ""}}), "");
}

TEST_F(OutputPaths, AllowsSeveralFormatsOnStdout) {
  EXPECT_EQ(refusal("r.json", {{"md", "-"}, {"csv", "-"}}), "");
}

TEST_F(OutputPaths, RefusesTheJsonReportOnStdout) {
  EXPECT_EQ(refusal("-"),
            "-o -: the JSON report is written to a file (atomically, then read back for the "
            "other formats); give a path, or write another format to stdout with --junit -, "
            "--md -, --csv -, --html -");
}

TEST_F(OutputPaths, RefusesAnEmptyReportPath) {
  EXPECT_EQ(refusal(""), "-o: expected a file path, got ''");
}

}  // namespace
}  // namespace promptbench::cli
