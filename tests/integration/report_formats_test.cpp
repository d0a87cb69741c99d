// SPDX-License-Identifier: Apache-2.0
// `eval --junit/--md/--csv` with $GITHUB_STEP_SUMMARY, and `promptbench report` converting the
// report afterwards: the real binary against the stub in echo mode, whose outputs are the
// dataset's own (nasty) texts.

#include "support/harness.hpp"
#include "unit/report/xml_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace report_formats_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Two prompts on an echo stub: `echo` answers with the row's text (right when the text is
// the label), `say` prefixes it (always wrong for exact_match).
constexpr const char* kConfig = R"yaml(name: formats
providers:
  - id: stub
    base_url: @URL@
    model: echo-model
    retries: 0
prompts:
  - id: echo
    template: "{{text}}"
  - id: say
    template: "Say: {{text}}"
dataset:
  path: rows.jsonl
  reference: label
  id: id
metrics:
  - exact_match: {threshold: 1}
  - contains
)yaml";

// Row 2 is every character XML, Markdown and CSV must escape, control characters included.
const std::string kNasty = "<b>&\"x\" 'y'</b> ]]> | \x01\x1b[0m\x07 a,b\r\nend";

std::string rows() {
  std::string text;
  text += json{{"id", "1"}, {"text", "positive"}, {"label", "positive"}}.dump() + "\n";
  text += json{{"id", "2"}, {"text", kNasty}, {"label", kNasty}}.dump() + "\n";
  text += json{{"id", "3,\"q\""}, {"text", "negative"}, {"label", "positive"}}.dump() + "\n";
  return text;
}

class ReportFormats : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", replace_all(kConfig, "@URL@", m_stub.base_url()));
    m_dir.write("rows.jsonl", rows());
  }

  /// eval with every format and a step summary that an earlier step already wrote to.
  ProcessResult eval_with_formats() {
    const std::string summary = m_dir.write("step_summary.md", "# earlier step\n");
    RunOptions options;
    options.env = {{"GITHUB_STEP_SUMMARY", summary}};
    return promptbench(m_dir,
                       {"eval", "-o", "report.json", "--no-cache", "-q", "--junit", "out/junit.xml",
                        "--md", "report.md", "--csv", "report.csv"},
                       options);
  }

  std::string read(const std::string& name) const { return read_file(m_dir.path() / name); }

  StubServer m_stub{{"--mode", "echo"}};
  TempDir m_dir;
};

TEST_F(ReportFormats, EvalWritesJunitThatIsWellFormedAndOfTheJunitShape) {
  const ProcessResult result = eval_with_formats();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const XmlElement root = parse_xml(read("out/junit.xml"));
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.attr("name"), "formats");
  EXPECT_EQ(root.attr("tests"), "6");
  EXPECT_EQ(root.attr("failures"), "4");  // echo fails case 3; say fails all three
  EXPECT_EQ(root.attr("errors"), "0");
  const auto suites = root.all("testsuite");
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[0]->attr("name"), "echo/stub");
  EXPECT_EQ(suites[0]->attr("failures"), "1");
  EXPECT_EQ(suites[1]->attr("name"), "say/stub");
  EXPECT_EQ(suites[1]->attr("failures"), "3");

  const auto cases = suites[1]->all("testcase");
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[2]->attr("name"), "3,\"q\"");
  const XmlElement& failure = *cases[1]->all("failure").at(0);
  // The model's output, with the characters XML 1.0 cannot hold replaced by U+FFFD.
  const std::string shown =
      replace_all(replace_all(replace_all(kNasty, "\x01", "\xEF\xBF\xBD"), "\x1b", "\xEF\xBF\xBD"),
                  "\x07", "\xEF\xBF\xBD");
  EXPECT_THAT(failure.text, HasSubstr("expected: " + shown + "\nactual: Say: " + shown + "\n"));
  EXPECT_THAT(failure.attr("message"), HasSubstr("scores: exact_match=0 (fail), contains=1"));
}

TEST_F(ReportFormats, EvalWritesMarkdownAndAppendsItToTheStepSummary) {
  const ProcessResult result = eval_with_formats();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string markdown = read("report.md");
  EXPECT_THAT(markdown, ::testing::StartsWith("## formats\n\n3 cases · 2 variants\n\n"
                                              "| variant | exact_match | contains | errors | "
                                              "p50 ms |\n"));
  EXPECT_THAT(markdown, HasSubstr("\n| echo/stub | 0.6667 ("));
  EXPECT_THAT(markdown, HasSubstr("\n### Comparisons\n"));
  EXPECT_EQ(read("step_summary.md"), "# earlier step\n" + markdown + "\n");
}

TEST_F(ReportFormats, EvalWritesCsvWithQuotedFields) {
  const ProcessResult result = eval_with_formats();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string csv = read("report.csv");
  EXPECT_THAT(csv, ::testing::StartsWith("case_id,variant,reference,output,extracted,"
                                         "exact_match,contains,latency_ms,cached,error\r\n"
                                         "1,echo/stub,positive,positive,positive,"));
  const std::string quoted = "\"" + replace_all(kNasty, "\"", "\"\"") + "\"";
  EXPECT_THAT(csv, HasSubstr("\r\n2,say/stub," + quoted +
                             ",\"Say: " + replace_all(kNasty, "\"", "\"\"") + "\","));
  EXPECT_THAT(csv, HasSubstr("\r\n\"3,\"\"q\"\"\",echo/stub,positive,negative,negative,"));
}

TEST_F(ReportFormats, EvalLeavesNoTemporaryFiles) {
  ASSERT_EQ(eval_with_formats().exit_code, 0);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(m_dir.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(ReportFormats, ReportConvertsToTheSameFilesEvalWrote) {
  ASSERT_EQ(eval_with_formats().exit_code, 0);
  const ProcessResult result = promptbench(
      m_dir, {"report", "report.json", "--junit", "j.xml", "--md", "r.md", "--csv", "r.csv"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(read("j.xml"), read("out/junit.xml"));
  EXPECT_EQ(read("r.md"), read("report.md"));
  EXPECT_EQ(read("r.csv"), read("report.csv"));
  const ProcessResult to_stdout = promptbench(m_dir, {"report", "report.json", "--md", "-"});
  EXPECT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, read("report.md"));
}

TEST_F(ReportFormats, EvalWithoutTheVariableWritesNoStepSummary) {
  RunOptions options;
  options.unset_env = {"GITHUB_STEP_SUMMARY"};
  const ProcessResult result =
      promptbench(m_dir, {"eval", "-o", "report.json", "--no-cache", "-q"}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "step_summary.md"));
}

TEST(ReportCommand, BadInputExitsTwoWithALocatedMessage) {
  TempDir dir;
  ProcessResult result = promptbench(dir, {"report", "missing.json", "--md", "out.md"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: missing.json: cannot read the report: No such file or "
            "directory\n");

  dir.write("broken.json", "{\"schema_version\": 1, \"variants\": [1,]}");
  result = promptbench(dir, {"report", "broken.json", "--md", "out.md"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err,
              ::testing::StartsWith("promptbench: error: broken.json:1:38: not a valid JSON "
                                    "report: "));

  dir.write("v9.json", R"({"schema_version": 9, "variants": []})");
  result = promptbench(dir, {"report", "v9.json", "--junit", "out.xml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: v9.json: schema_version: unsupported version 9 (this "
            "promptbench reads version 1)\n");

  dir.write("other.json", R"({"name": "not a report"})");
  result = promptbench(dir, {"report", "other.json", "--csv", "out.csv"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: other.json: missing field \"schema_version\" (not a promptbench "
            "report?)\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.md"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.xml"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));
}

TEST(ReportCommand, NothingToWriteIsAUsageError) {
  TempDir dir;
  dir.write("r.json", R"({"schema_version": 1, "variants": [], "cases": []})");
  const ProcessResult result = promptbench(dir, {"report", "r.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: report: nothing to write; give at least one of --junit PATH, "
            "--md PATH, --csv PATH, --html PATH\n");
}

TEST(ReportCommand, RefusesOutputsThatWouldReplaceADeviceTheInputOrEachOther) {
  // Each once written: the finished file renamed over a FIFO (or, as root, over /dev/null)
  // replaced it, and --md r.json overwrote the report it converted.
  TempDir dir;
  const std::string report = R"({"schema_version": 1, "variants": [], "cases": []})";
  dir.write("r.json", report);
  ASSERT_EQ(mkfifo((dir.path() / "pipe").c_str(), 0600), 0);
  ProcessResult result = promptbench(dir, {"report", "r.json", "--md", "pipe"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "promptbench: error: --md pipe: is not a regular file\n");
  EXPECT_TRUE(std::filesystem::is_fifo(dir.path() / "pipe"));

  result = promptbench(dir, {"report", "r.json", "--csv", "./r.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: --csv ./r.json: is an input of this command (r.json), which it "
            "would overwrite\n");
  EXPECT_EQ(read_file(dir.path() / "r.json"), report);

  result = promptbench(dir, {"report", "r.json", "--md", "out.txt", "--csv", "out.txt"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("the same file as"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.txt"));
}

TEST(ReportCommand, HelpListsTheFormats) {
  TempDir dir;
  const ProcessResult result = promptbench(dir, {"report", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag : {"--junit", "--md", "--csv"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace report_formats_test
}  // namespace promptbench::testing
