// SPDX-License-Identifier: Apache-2.0
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "promptbench/report.hpp"

namespace promptbench {
namespace {

MetricSummary metric(const std::string& name, std::size_t n, double mean, double low, double high,
                     bool higher_is_better = true) {
  MetricSummary m;
  m.name = name;
  m.n = n;
  m.mean = mean;
  m.ci_low = low;
  m.ci_high = high;
  m.higher_is_better = higher_is_better;
  return m;
}

VariantSummary variant(const std::string& id, std::vector<MetricSummary> metrics,
                       std::size_t errors, std::optional<double> p50) {
  VariantSummary v;
  v.id = id;
  v.metrics = std::move(metrics);
  v.errors = errors;
  v.latency_p50 = p50;
  return v;
}

std::string table(const ReportSummary& summary) {
  std::ostringstream out;
  print_summary_table(out, summary, false);
  return out.str();
}

TEST(SummaryTable, ShowsEachMeanWithItsIntervalAsItIs) {
  ReportSummary summary;
  summary.variants.push_back(
      variant("terse/local",
              {metric("exact_match", 132, 0, 0, 0.028), metric("contains", 132, 1, 0.972, 1),
               metric("latency", 132, 8.7, 6.8, 10.6, false)},
              0, 6.1));
  // One score has no interval, no score is "-".
  summary.variants.push_back(
      variant("chat/local",
              {metric("exact_match", 1, 1, 0, 1), metric("contains", 0, 0, 0, 0),
               metric("latency", 132, 12.3, 9.5, 15.0, false)},
              2, std::nullopt));
  GateResult gate;
  gate.passed = true;
  summary.gates.push_back(gate);
  EXPECT_EQ(table(summary),
            "variant      exact_match           contains              latency           errors  "
            "p50 ms\n"
            "terse/local  0.000 [0.000, 0.028]  1.000 [0.972, 1.000]  8.7 [6.8, 10.6]   0       "
            "6.1\n"
            "chat/local   1.000                 -                     12.3 [9.5, 15.0]  2       -\n"
            "gates: all 1 passed\n");
}

TEST(SummaryTable, GivesTheMeanAndItsIntervalTheSameDecimals) {
  ReportSummary summary;
  summary.variants.push_back(variant("a/b", {metric("numeric", 10, 0.9, 0.5, 1.3)}, 0, 1.0));
  EXPECT_EQ(table(summary),
            "variant  numeric         errors  p50 ms\n"
            "a/b      0.9 [0.5, 1.3]  0       1.0\n");
}

}  // namespace
}  // namespace promptbench
