// SPDX-License-Identifier: Apache-2.0
// Case selection: each selector, their combinations, the sample's stability, and the failed
// cases of a report.
#include <algorithm>
#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/case_result.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report.hpp"
#include "promptbench/selection.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> ids(std::size_t from, std::size_t to) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < to; ++i) {
    out.push_back("case-" + std::to_string(i));
  }
  return out;
}

/// What a selector picks from `dataset`, with the two passes the pre-flight makes.
std::set<std::string> pick(const SelectionCriteria& criteria,
                           const std::vector<std::string>& dataset) {
  CaseSelector selector(criteria);
  if (selector.samples()) {
    for (const std::string& id : dataset) {
      selector.offer(id);
    }
    selector.close_sample();
  }
  std::set<std::string> picked;
  for (const std::string& id : dataset) {
    selector.note_present(id);
    if (selector.selects(id)) {
      picked.insert(id);
    }
  }
  selector.check_ids_found(std::nullopt);
  return picked;
}

TEST(CaseSelection, NoCriteriaSelectsEverything) {
  EXPECT_TRUE(SelectionCriteria{}.selects_all());
  EXPECT_EQ(pick({}, ids(0, 10)).size(), 10U);
}

TEST(CaseSelection, CaseIdsSelectExactlyThoseCases) {
  SelectionCriteria criteria;
  criteria.ids = {"case-3", "case-7"};
  EXPECT_EQ(pick(criteria, ids(0, 10)), (std::set<std::string>{"case-3", "case-7"}));
}

TEST(CaseSelection, AnUnknownCaseIdIsNamed) {
  SelectionCriteria criteria;
  criteria.ids = {"case-3", "case-99"};
  try {
    (void)pick(criteria, ids(0, 10));
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "--case case-99: no such case id");
  }
}

TEST(CaseSelection, ThePatternMatchesAnywhereInTheIdLikeGrep) {
  SelectionCriteria criteria;
  criteria.pattern = "-1";  // case-1, case-10..case-19
  EXPECT_EQ(pick(criteria, ids(0, 20)).size(), 11U);
  criteria.pattern = "^case-1$";
  EXPECT_EQ(pick(criteria, ids(0, 20)), (std::set<std::string>{"case-1"}));
}

TEST(CaseSelection, ABadPatternIsAUserErrorNamingTheFlag) {
  SelectionCriteria criteria;
  criteria.pattern = "case-(";
  try {
    CaseSelector selector(criteria);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--case-pattern case-(: missing )"));
  }
}

TEST(CaseSelection, FiltersIntersect) {
  SelectionCriteria criteria;
  criteria.ids = {"case-1", "case-2", "case-12"};
  criteria.pattern = "1";
  EXPECT_EQ(pick(criteria, ids(0, 20)), (std::set<std::string>{"case-1", "case-12"}));
}

TEST(CaseSelection, TheSampleHasTheRequestedSizeAndIsTheSameEveryTime) {
  SelectionCriteria criteria;
  criteria.sample = 20;
  criteria.seed = 7;
  const std::set<std::string> first = pick(criteria, ids(0, 500));
  EXPECT_EQ(first.size(), 20U);
  EXPECT_EQ(pick(criteria, ids(0, 500)), first);
  // The order of the rows does not matter: the sample depends on the ids alone.
  std::vector<std::string> reversed = ids(0, 500);
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(pick(criteria, reversed), first);
  criteria.seed = 8;
  EXPECT_NE(pick(criteria, ids(0, 500)), first);
}

TEST(CaseSelection, TheSampleIsTheCasesWithTheSmallestKeys) {
  SelectionCriteria criteria;
  criteria.sample = 5;
  criteria.seed = 3;
  std::vector<SampleKey> keys;
  for (const std::string& id : ids(0, 100)) {
    keys.push_back(SampleKey::of(id, 3));
  }
  std::sort(keys.begin(), keys.end());
  std::set<std::string> expected;
  for (std::size_t i = 0; i < 5; ++i) {
    expected.insert(keys[i].id);
  }
  EXPECT_EQ(pick(criteria, ids(0, 100)), expected);
}

TEST(CaseSelection, TheSampleKeyIsPinned) {
  // XXH64 is the same on every platform; a change of hash would change every old sample.
  EXPECT_EQ(SampleKey::of("r001", 0).hash, SampleKey::of(std::string("r00") + "1", 0).hash);
  EXPECT_NE(SampleKey::of("r001", 0).hash, SampleKey::of("r001", 1).hash);
}

TEST(CaseSelection, AppendedRowsOnlyDisplaceMembersBySmallerKeyedNewcomers) {
  SelectionCriteria criteria;
  criteria.sample = 30;
  criteria.seed = 11;
  const std::set<std::string> before = pick(criteria, ids(0, 300));
  const std::set<std::string> after = pick(criteria, ids(0, 450));
  ASSERT_EQ(after.size(), 30U);
  std::vector<SampleKey> newcomers;
  std::vector<SampleKey> kept;
  std::vector<SampleKey> dropped;
  for (const std::string& id : after) {
    (before.count(id) != 0 ? kept : newcomers).push_back(SampleKey::of(id, 11));
  }
  for (const std::string& id : before) {
    if (after.count(id) == 0) {
      dropped.push_back(SampleKey::of(id, 11));
    }
  }
  // Every newcomer is one of the appended rows, and one old member left for each.
  for (const SampleKey& key : newcomers) {
    EXPECT_GE(std::stoi(key.id.substr(5)), 300) << key.id;
  }
  EXPECT_EQ(dropped.size(), newcomers.size());
  // The members that left are the old sample's largest keys, each beaten by a newcomer.
  for (const SampleKey& gone : dropped) {
    for (const SampleKey& stay : kept) {
      EXPECT_LT(stay, gone);
    }
    for (const SampleKey& newcomer : newcomers) {
      EXPECT_LT(newcomer, gone);
    }
  }
}

TEST(CaseSelection, ASampleLargerThanTheCasesTakesThemAll) {
  SelectionCriteria criteria;
  criteria.sample = 50;
  EXPECT_EQ(pick(criteria, ids(0, 10)).size(), 10U);
}

TEST(CaseSelection, TheSampleIsDrawnFromWhatTheFiltersLeave) {
  SelectionCriteria criteria;
  criteria.pattern = "^case-1";  // case-1, case-10..19, case-100..199: 111 cases
  criteria.sample = 12;
  const std::set<std::string> picked = pick(criteria, ids(0, 300));
  EXPECT_EQ(picked.size(), 12U);
  for (const std::string& id : picked) {
    EXPECT_EQ(id.rfind("case-1", 0), 0U) << id;
  }
}

TEST(CaseSelection, TheReportRecordsTheCriteriaNotTheIds) {
  SelectionCriteria criteria;
  criteria.pattern = "^r0";
  criteria.sample = 20;
  criteria.seed = 4;
  EXPECT_EQ(criteria.to_json(12).dump(), R"({"pattern":"^r0","sample":20,"seed":4,"cases":12})");
  EXPECT_EQ(criteria.describe(), "--case-pattern ^r0, --sample 20 --seed 4");
}

// --- the failed cases of a report -----------------------------------------------------

CaseResult scored(const std::string& variant, std::size_t repeat, bool pass) {
  CaseResult result;
  result.variant = variant;
  result.repeat = repeat;
  result.output = pass ? "yes" : "no";
  MetricOutcome& exact = result.metric("exact_match");
  exact.score = pass ? 1.0 : 0.0;
  exact.pass = pass;
  result.metric("latency").score = 5;
  return result;
}

CaseResult errored(const std::string& variant, std::size_t repeat, const std::string& kind) {
  CaseResult result;
  result.variant = variant;
  result.repeat = repeat;
  result.error = ResultError{kind, "boom", 500};
  return result;
}

CaseResult score_error(const std::string& variant, std::size_t repeat) {
  CaseResult result = scored(variant, repeat, true);
  MetricOutcome& judged = result.metric("judge");
  judged.error = "the judge's reply has no verdict";
  return result;
}

/// A report with two variants and two repeats: every result of `ok` passes; each other case
/// fails in one result only.
std::filesystem::path write_report(const testing::ScratchDir& dir) {
  ReportSummary summary;
  summary.variants.push_back(VariantSummary{});
  summary.variants.back().id = "a/p";
  summary.variants.push_back(VariantSummary{});
  summary.variants.back().id = "b/p";
  nlohmann::ordered_json report = to_json(summary);
  const auto add = [&](std::size_t index, const std::string& id, std::vector<CaseResult> results) {
    CaseRecord record;
    record.index = index;
    record.id = id;
    record.reference = "yes";
    record.results = std::move(results);
    report["cases"].push_back(to_json(record));
  };
  const auto all_pass = [] {
    return std::vector<CaseResult>{scored("a/p", 0, true), scored("a/p", 1, true),
                                   scored("b/p", 0, true), scored("b/p", 1, true)};
  };
  add(0, "ok", all_pass());
  std::vector<CaseResult> results = all_pass();
  results[3] = scored("b/p", 1, false);  // the second repeat of the second variant
  add(1, "failed-late", results);
  results = all_pass();
  results[1] = errored("a/p", 1, "http_status");
  add(2, "request-error", results);
  results = all_pass();
  results[2] = errored("b/p", 0, "extract");
  add(3, "extract-error", results);
  results = all_pass();
  results[0] = score_error("a/p", 0);
  add(4, "score-error", results);
  add(5, "ok-too", all_pass());
  return dir.write("report.json", report.dump());
}

TEST(FailedCases, AreEveryCaseWithAFailedPassFlagAScoreErrorOrAnErrorInAnyResult) {
  const testing::ScratchDir dir;
  const std::filesystem::path report = write_report(dir);
  EXPECT_EQ(failed_case_ids(report.string(), false),
            (std::unordered_set<std::string>{"failed-late", "request-error", "extract-error",
                                             "score-error"}));
}

TEST(FailedCases, ErrorsOnlyAreTheRequestAndExtractionErrors) {
  const testing::ScratchDir dir;
  const std::filesystem::path report = write_report(dir);
  EXPECT_EQ(failed_case_ids(report.string(), true),
            (std::unordered_set<std::string>{"request-error", "extract-error"}));
}

TEST(FailedCases, SelectTheirCasesByIdAndIntersectWithThePattern) {
  const testing::ScratchDir dir;
  SelectionCriteria criteria;
  criteria.filter_failing = write_report(dir).string();
  const std::vector<std::string> dataset = {
      "ok", "failed-late", "request-error", "extract-error", "score-error", "ok-too", "new"};
  EXPECT_EQ(pick(criteria, dataset), (std::set<std::string>{"failed-late", "request-error",
                                                            "extract-error", "score-error"}));
  criteria.pattern = "error$";
  EXPECT_EQ(pick(criteria, dataset),
            (std::set<std::string>{"request-error", "extract-error", "score-error"}));
}

TEST(FailedCases, AMissingReportIsNamedWithItsFlag) {
  SelectionCriteria criteria;
  criteria.filter_errors_only = "/nonexistent/report.json";
  try {
    CaseSelector selector(criteria);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--filter-errors-only"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("/nonexistent/report.json"));
  }
}

}  // namespace
}  // namespace promptbench
