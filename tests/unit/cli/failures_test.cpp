// SPDX-License-Identifier: Apache-2.0
// --show-failures and --samples: the excerpt of an output, the failures listed per variant,
// and a samples line.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/failures.hpp"
#include "cli/samples_file.hpp"
#include "promptbench/report.hpp"

namespace promptbench::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OneLineExcerpt, EscapesControlCharactersAndCutsAtACharacter) {
  EXPECT_EQ(one_line_excerpt("a\nb\tc\x01"), "a\\nb\\tc\\u0001");
  EXPECT_EQ(one_line_excerpt(std::string(120, 'x')), std::string(100, 'x') + "...");
  // "é" is two bytes: a cut inside it moves back before it.
  EXPECT_EQ(one_line_excerpt("abé", 3), "ab...");
}

CaseResult result(const std::string& variant, bool pass, bool error = false) {
  CaseResult r;
  r.variant = variant;
  if (error) {
    r.error = ResultError{"http_status", "bad\nrequest", 400};
    return r;
  }
  r.output = pass ? "yes" : "no";
  MetricOutcome& m = r.metric("exact_match");
  m.score = pass ? 1 : 0;
  m.pass = pass;
  return r;
}

nlohmann::ordered_json report_with(const std::vector<CaseRecord>& records) {
  ReportSummary summary;
  for (const char* id : {"a/p", "b/p"}) {
    summary.variants.emplace_back();
    summary.variants.back().id = id;
  }
  nlohmann::ordered_json report = to_json(summary);
  for (const CaseRecord& record : records) {
    report["cases"].push_back(to_json(record));
  }
  return report;
}

TEST(PrintFailures, ListsUpToNFailedOrErroredResultsPerVariant) {
  std::vector<CaseRecord> records;
  for (std::size_t i = 0; i < 4; ++i) {
    CaseRecord record;
    record.index = i;
    record.id = "c" + std::to_string(i);
    record.reference = "yes";
    record.results = {result("a/p", i != 1, i == 2), result("b/p", true)};
    records.push_back(record);
  }
  std::ostringstream out;
  print_failures(out, *report_from_json(report_with(records)), 1);
  EXPECT_EQ(out.str(),
            "\nfailures of a/p (2 results, the first 1 shown):\n"
            "  c1  reference: yes\n"
            "    output: no\n"
            "    scores: exact_match=0 (fail)\n");
  std::ostringstream all;
  print_failures(all, *report_from_json(report_with(records)), 5);
  EXPECT_THAT(all.str(), HasSubstr("failures of a/p (2 results):\n"));
  EXPECT_THAT(all.str(),
              HasSubstr("  c2  reference: yes\n    error: http_status 400: bad\\nrequest\n"));
  EXPECT_THAT(all.str(), Not(HasSubstr("b/p")));
}

TEST(SampleLine, HoldsTheResultsFieldsAndItsCase) {
  CaseRecord record;
  record.index = 7;
  record.id = "c7";
  record.reference = "yes";
  record.results = {result("a/p", false)};
  const nlohmann::ordered_json case_json = to_json(record);
  EXPECT_EQ(sample_line(case_json, case_json["results"][0]).dump(),
            R"({"case_id":"c7","index":7,"reference":"yes","variant":"a/p","repeat":0,)"
            R"("output":"no","extracted":null,"scores":{"exact_match":0.0},)"
            R"("pass":{"exact_match":false},"latency_ms":null,"error":null})");
}

}  // namespace
}  // namespace promptbench::cli
