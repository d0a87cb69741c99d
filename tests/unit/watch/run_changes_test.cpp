// SPDX-License-Identifier: Apache-2.0
// What `eval --watch` prints between runs: each variant's metric means before and now, and
// the cases whose outcome flipped, repeats folded as --filter-failing reads them.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "promptbench/watch.hpp"

namespace promptbench {
namespace {

MetricOutcome passed(const std::string& name, bool pass) {
  MetricOutcome outcome;
  outcome.name = name;
  outcome.score = pass ? 1.0 : 0.0;
  outcome.pass = pass;
  return outcome;
}

MetricOutcome timed(double ms) {
  MetricOutcome outcome;
  outcome.name = "latency";
  outcome.score = ms;
  return outcome;
}

CaseResult result(const std::string& variant, std::vector<MetricOutcome> metrics) {
  CaseResult r;
  r.variant = variant;
  r.metrics = std::move(metrics);
  return r;
}

CaseResult failed_request(const std::string& variant) {
  CaseResult r;
  r.variant = variant;
  r.error = ResultError{"http_status", "500 Internal Server Error", 500};
  return r;
}

CaseRecord record(const std::string& id, std::vector<CaseResult> results) {
  CaseRecord r;
  r.id = id;
  r.results = std::move(results);
  return r;
}

ReportSummary summary(const std::vector<std::pair<std::string, std::vector<double>>>& means) {
  ReportSummary s;
  for (const auto& [variant, values] : means) {
    VariantSummary v;
    v.id = variant;
    const std::vector<std::string> names = {"exact_match", "latency"};
    for (std::size_t i = 0; i < values.size(); ++i) {
      MetricSummary m;
      m.name = names[i];
      m.n = 3;
      m.mean = values[i];
      v.metrics.push_back(m);
    }
    s.variants.push_back(v);
  }
  return s;
}

std::string printed(const RunSnapshot& before, const RunSnapshot& now, std::size_t max_ids = 10) {
  std::ostringstream out;
  print_changes(out, changes_between(before, now), max_ids);
  return out.str();
}

TEST(RunChanges, ShowsEachMeanAndTheCasesThatFlipped) {
  RunSnapshot before;
  before.add_case(record("a", {result("p/x", {passed("exact_match", true), timed(10)})}));
  before.add_case(record("b", {result("p/x", {passed("exact_match", false), timed(12)})}));
  before.add_case(record("c", {result("p/x", {passed("exact_match", false), timed(14)})}));
  before.set_summary(summary({{"p/x", {1.0 / 3, 12}}}));
  RunSnapshot now;
  now.add_case(record("a", {result("p/x", {passed("exact_match", false), timed(10)})}));
  now.add_case(record("b", {result("p/x", {passed("exact_match", true), timed(12)})}));
  now.add_case(record("c", {result("p/x", {passed("exact_match", true), timed(14)})}));
  now.set_summary(summary({{"p/x", {2.0 / 3, 12}}}));
  EXPECT_EQ(printed(before, now),
            "changes since the previous run:\n"
            "  variant  metric       before  now    change\n"
            "  p/x      exact_match  0.333   0.667  +0.333\n"
            "    pass -> fail (1): a\n"
            "    fail -> pass (2): b, c\n"
            "  p/x      latency      12.0    12.0   no change\n");
}

TEST(RunChanges, AFailedRequestIsAnErrorOfEveryMetricOfItsVariant) {
  RunSnapshot before;
  before.add_case(record("a", {result("p/x", {passed("exact_match", true), timed(10)})}));
  before.set_summary(summary({{"p/x", {1, 10}}}));
  RunSnapshot now;
  now.add_case(record("a", {failed_request("p/x")}));
  ReportSummary nothing_scored = summary({{"p/x", {0, 0}}});
  for (MetricSummary& m : nothing_scored.variants[0].metrics) {
    m.n = 0;
  }
  now.set_summary(nothing_scored);
  const std::vector<MetricChange> changes = changes_between(before, now);
  ASSERT_EQ(changes.size(), 2u);
  ASSERT_EQ(changes[0].flips.size(), 1u);
  EXPECT_EQ(changes[0].flips[0].before, CaseOutcome::pass);
  EXPECT_EQ(changes[0].flips[0].now, CaseOutcome::error);
  ASSERT_EQ(changes[1].flips.size(), 1u);
  EXPECT_EQ(changes[1].flips[0].before, CaseOutcome::scored);
  EXPECT_EQ(changes[1].flips[0].now, CaseOutcome::error);
  EXPECT_EQ(printed(before, now),
            "changes since the previous run:\n"
            "  variant  metric       before  now  change\n"
            "  p/x      exact_match  1.000   -    -\n"
            "    pass -> error (1): a\n"
            "  p/x      latency      10.0    -    -\n"
            "    scored -> error (1): a\n");
}

TEST(RunChanges, RepeatsFoldLikeFilterFailing) {
  // One failed repeat fails the case; one errored repeat makes it an error.
  RunSnapshot before;
  before.add_case(record("a", {result("p/x", {passed("exact_match", true)}),
                               result("p/x", {passed("exact_match", true)})}));
  before.add_case(record("b", {result("p/x", {passed("exact_match", true)}),
                               result("p/x", {passed("exact_match", true)})}));
  before.set_summary(summary({{"p/x", {1}}}));
  RunSnapshot now;
  now.add_case(record("a", {result("p/x", {passed("exact_match", true)}),
                            result("p/x", {passed("exact_match", false)})}));
  now.add_case(record("b", {failed_request("p/x"), result("p/x", {passed("exact_match", false)})}));
  now.set_summary(summary({{"p/x", {0.5}}}));
  const std::vector<MetricChange> changes = changes_between(before, now);
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_EQ(changes[0].flips.size(), 2u);
  EXPECT_EQ(changes[0].flips[0].now, CaseOutcome::fail);
  EXPECT_EQ(changes[0].flips[1].now, CaseOutcome::error);
}

TEST(RunChanges, NamesNewAndGoneVariantsAndSkipsCasesRunOnlyOnce) {
  RunSnapshot before;
  before.add_case(record("a", {result("old/x", {passed("exact_match", true)}),
                               result("p/x", {passed("exact_match", true)})}));
  before.set_summary(summary({{"old/x", {1}}, {"p/x", {1}}}));
  RunSnapshot now;
  now.add_case(record("a", {result("p/x", {passed("exact_match", true)}),
                            result("new/x", {passed("exact_match", false)})}));
  now.add_case(record("added", {result("p/x", {passed("exact_match", false)})}));
  now.set_summary(summary({{"p/x", {0.5}}, {"new/x", {0}}}));
  EXPECT_EQ(printed(before, now),
            "changes since the previous run:\n"
            "  variant  metric       before  now    change\n"
            "  p/x      exact_match  1.000   0.500  -0.500\n"
            "  new/x    exact_match  -       0.000  new\n"
            "  old/x    exact_match  1.000   -      gone\n");
}

TEST(RunChanges, ListsAtMostMaxIdsAGroupThenHowManyMore) {
  RunSnapshot before;
  RunSnapshot now;
  for (int i = 0; i < 7; ++i) {
    before.add_case(
        record("c" + std::to_string(i), {result("p/x", {passed("exact_match", false)})}));
    now.add_case(record("c" + std::to_string(i), {result("p/x", {passed("exact_match", true)})}));
  }
  before.set_summary(summary({{"p/x", {0}}}));
  now.set_summary(summary({{"p/x", {1}}}));
  EXPECT_EQ(printed(before, now, 3),
            "changes since the previous run:\n"
            "  variant  metric       before  now    change\n"
            "  p/x      exact_match  0.000   1.000  +1.000\n"
            "    fail -> pass (7): c0, c1, c2 and 4 more\n");
}

TEST(RunChanges, FindsCasesByIdWhenTheirOrderChanged) {
  RunSnapshot before;
  before.add_case(record("a", {result("p/x", {passed("exact_match", true)})}));
  before.add_case(record("b", {result("p/x", {passed("exact_match", false)})}));
  before.set_summary(summary({{"p/x", {0.5}}}));
  RunSnapshot now;
  now.add_case(record("b", {result("p/x", {passed("exact_match", false)})}));
  now.add_case(record("a", {result("p/x", {passed("exact_match", true)})}));
  now.set_summary(summary({{"p/x", {0.5}}}));
  const std::vector<MetricChange> changes = changes_between(before, now);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].flips.empty());
}

}  // namespace
}  // namespace promptbench
