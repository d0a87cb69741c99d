// SPDX-License-Identifier: Apache-2.0
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/report_formats.hpp"
#include "report/render_support.hpp"
#include "unit/report/sample_report.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;

std::string markdown(const nlohmann::ordered_json& report) {
  std::ostringstream out;
  render_markdown(*report_from_json(report), out);
  return out.str();
}

/// The cells of a GFM table row, split on the pipes that are not escaped.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      cell += line.substr(i, 2);
      ++i;
    } else if (line[i] == '|') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  out.push_back(cell);
  return out;
}

TEST(MarkdownReport, SummaryComparisonAndGateTables) {
  EXPECT_EQ(
      markdown(testing::sample_report()),
      "## qa &lt;&amp;&gt;\n"
      "\n"
      "3 cases · 2 variants\n"
      "\n"
      "| variant | exact_match | latency | errors | p50 ms |\n"
      "|:---|---:|---:|---:|---:|\n"
      "| terse/stub | 0.6667 (0.2077–0.9385) | 11.5 (9.1–13.9) | 0 | 11.5 |\n"
      "| chat/stub | 0.5 (0.0945–0.9055) | 20 (20–20) | 1 | 20 |\n"
      "\n"
      "Each metric: mean (95% confidence interval).\n"
      "\n"
      "### Comparisons\n"
      "\n"
      "| metric | baseline | variant | n | Δ mean | 95% CI | test | p | p (Holm) | verdict |\n"
      "|:---|:---|:---|---:|---:|---:|---:|---:|---:|---:|\n"
      "| exact_match | terse/stub | chat/stub | 2 | -0.5 | [-1, 0] | mcnemar_exact | 1.0000 "
      "| 1.0000 | no significant difference |\n"
      "\n"
      "### Gates\n"
      "\n"
      "| variant | metric | bound | value | result |\n"
      "|:---|:---|:---|---:|---:|\n"
      "| terse/stub | exact_match | ≥ 0.5 | 0.6667 | ✅ passed |\n"
      "| chat/stub | exact_match | ≥ 0.75 | 0.5 | ❌ failed |\n");
}

TEST(MarkdownReport, EveryTableRowHasOneCellPerColumnWhateverTheIdsHold) {
  auto report = testing::sample_report();
  report["variants"][0]["id"] = "a|b\nc\\";
  report["comparisons"][0]["variant"] = "x|y|z";
  report["gates"][0]["variant"] = "p|q";
  const std::string text = markdown(report);
  std::istringstream lines(text);
  std::string line;
  std::size_t rows = 0;
  std::size_t columns = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') {
      columns = 0;
      continue;
    }
    const std::size_t n = cells(line).size();
    if (columns == 0) {
      columns = n;
    }
    EXPECT_EQ(n, columns) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 4u + 3u + 4u);
  EXPECT_THAT(text, HasSubstr("| a\\|b<br>c\\\\ |"));
}

TEST(MarkdownReport, SaysWhenTheRunIsIncomplete) {
  auto report = testing::sample_report();
  report["run"]["complete"] = false;
  report["run"]["stop_reason"] = "interrupted";
  EXPECT_THAT(markdown(report),
              HasSubstr("> **Incomplete run** (interrupted): the numbers cover only the cases "
                        "that finished.\n"));
}

TEST(MarkdownReport, CountsOneCaseAndOneVariantInTheSingular) {
  auto report = testing::sample_report();
  report["run"]["dataset"]["cases"] = 1;
  report["variants"].erase(1);
  report["comparisons"] = nlohmann::ordered_json::array();
  EXPECT_THAT(markdown(report),
              ::testing::StartsWith("## qa &lt;&amp;&gt;\n\n1 case · 1 variant\n\n"));
}

TEST(MarkdownReport, LeavesOutEmptyComparisonAndGateSections) {
  auto report = testing::sample_report();
  report["comparisons"] = nlohmann::ordered_json::array();
  report.erase("gates");
  const std::string text = markdown(report);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("### Comparisons")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("### Gates")));
}

TEST(MarkdownCell, EscapesPipesBackslashesHtmlAndLineBreaks) {
  EXPECT_EQ(markdown_cell("a|b"), "a\\|b");
  EXPECT_EQ(markdown_cell("a\\|b"), "a\\\\\\|b");
  EXPECT_EQ(markdown_cell("<script>&"), "&lt;script&gt;&amp;");
  EXPECT_EQ(markdown_cell("one\ntwo\r\nthree\rfour"), "one<br>two<br>three<br>four");
  EXPECT_EQ(markdown_cell("plain *text*"), "plain *text*");
}

TEST(MarkdownComparisonTable, EmptyForNoComparisons) {
  EXPECT_EQ(markdown_comparison_table(nlohmann::ordered_json::array()), "");
  EXPECT_EQ(markdown_comparison_table(nullptr), "");
}

TEST(MarkdownComparisonTable, MarksVerdictsAndTinyPValues) {
  const auto comparisons = nlohmann::ordered_json::parse(R"([
    {"metric": "f1", "baseline": "a", "variant": "b", "n": 40, "mean_diff": 0.125,
     "ci95": [0.05, 0.2], "test": "permutation", "p_value": 0.00001, "p_adjusted": 0.00002,
     "verdict": "better"},
    {"metric": "em", "baseline": "a", "variant": "b", "n": 40, "mean_diff": -0.5,
     "ci95": [null, null], "test": "mcnemar_exact", "p_value": 0.01, "p_adjusted": 0.02,
     "verdict": "worse"}])");
  const std::string table = markdown_comparison_table(comparisons);
  EXPECT_THAT(table, HasSubstr("| f1 | a | b | 40 | +0.125 | [0.05, 0.2] | permutation | "
                               "<0.0001 | <0.0001 | ✅ better |\n"));
  EXPECT_THAT(table, HasSubstr("| em | a | b | 40 | -0.5 | - | mcnemar_exact | 0.0100 | "
                               "0.0200 | ❌ worse |\n"));
}

}  // namespace
}  // namespace promptbench
