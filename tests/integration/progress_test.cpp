// SPDX-License-Identifier: Apache-2.0
// The progress line of `eval` as a terminal would show it: never wider than the terminal,
// visible before the first answer arrives, and never mixed with -v log lines.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace progress_test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kConfig = R"yaml(name: progress
providers:
  - id: stub
    base_url: @URL@
    model: echo-model
    retries: 0
    concurrency: 4
prompts:
  - id: p
    template: "Case {{id}}: {{answer}}"
dataset:
  path: cases.jsonl
  reference: label
  id: id
)yaml";

/// 12 cases; with 4 in flight and 300 ms per answer the run takes about a second, long
/// enough for several redraws before anything is answered.
void write_project(const TempDir& dir, const StubServer& stub) {
  dir.write("promptbench.yaml", replace_all(kConfig, "@URL@", stub.base_url()));
  std::string cases;
  for (int i = 0; i < 12; ++i) {
    cases += R"({"id": "c)" + std::to_string(i) +
             R"(", "answer": "yes", "label": "yes"})"
             "\n";
  }
  dir.write("cases.jsonl", cases);
}

/// `text` split at every `\r` and `\n`, with terminal escapes (which take no column) removed.
std::vector<std::string> segments(const std::string& text) {
  const std::regex escape("\x1b\\[[0-9;]*[A-Za-z]");
  std::vector<std::string> out;
  std::string current;
  for (const char c : text) {
    if (c == '\r' || c == '\n') {
      out.push_back(std::regex_replace(current, escape, ""));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(std::regex_replace(current, escape, ""));
  return out;
}

/// Terminal columns of UTF-8 text: one per code point.
std::size_t columns(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

ProcessResult eval_with_progress(const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"eval",       "promptbench.yaml", "-o",    "report.json",
                                   "--no-cache", "--progress",       "always"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunOptions options;
  options.env = {{"COLUMNS", "80"}};
  return promptbench(dir, args, options);
}

TEST(EvalProgress, FitsEightyColumnsAndShowsRequestsInFlightBeforeTheFirstAnswer) {
  StubServer stub({"--latency-ms", "300"});
  TempDir dir;
  write_project(dir, stub);
  const ProcessResult result = eval_with_progress(dir, {});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> parts = segments(result.err);
  for (const std::string& part : parts) {
    EXPECT_LE(columns(part), 79u) << part;
  }
  const auto before_first_answer = std::find_if(parts.begin(), parts.end(), [](const auto& p) {
    return p.find("  0/12  ") != std::string::npos && p.find(" in flight") != std::string::npos;
  });
  EXPECT_NE(before_first_answer, parts.end()) << result.err;
  EXPECT_THAT(result.err, HasSubstr("  12/12  ")) << result.err;
  EXPECT_EQ(result.err.back(), '\n');  // the line is ended, the shell prompt starts afresh
}

TEST(EvalProgress, PrintsVerboseLinesOnLinesOfTheirOwn) {
  StubServer stub({"--latency-ms", "100"});
  TempDir dir;
  write_project(dir, stub);
  const ProcessResult result = eval_with_progress(dir, {"-v"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // What stays on screen of each line is what follows its last `\r`: either a whole log
  // line or the bar, never both.
  std::size_t logged = 0;
  std::size_t concurrency_lines = 0;
  std::size_t start = 0;
  for (std::size_t end = result.err.find('\n'); end != std::string::npos;
       start = end + 1, end = result.err.find('\n', start)) {
    const std::vector<std::string> parts = segments(result.err.substr(start, end - start));
    const std::string& visible = parts.back();
    if (visible.rfind("promptbench: concurrency: ", 0) == 0) {
      ++concurrency_lines;  // -v first says which limits are in force
    } else if (visible.rfind("promptbench: case ", 0) == 0) {
      EXPECT_THAT(visible,
                  ::testing::MatchesRegex("promptbench: case c[0-9]+ p/stub: HTTP 200 .*"));
      ++logged;
    } else {
      EXPECT_THAT(visible, ::testing::StartsWith("[")) << visible;
    }
  }
  EXPECT_EQ(logged, 12u) << result.err;
  EXPECT_EQ(concurrency_lines, 1u) << result.err;
}

}  // namespace
}  // namespace progress_test
}  // namespace promptbench::testing
