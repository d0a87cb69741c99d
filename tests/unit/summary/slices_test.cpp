// SPDX-License-Identifier: Apache-2.0
// Slices in the summary accumulator (README "Slices"): a slice's figures are those of its
// cases alone, its comparisons join the overall ones in one Holm family, a regression
// confined to one slice is found while the overall comparison misses it, and gates name a
// slice, every slice, or a slice too small to gate.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/summary.hpp"

namespace promptbench {
namespace slices_test {  // a unity batch holds accumulator_test.cpp's plan_of too
namespace {

SummaryPlan plan_of(std::size_t variants, std::vector<std::string> metrics, std::size_t cases,
                    std::vector<std::string> slices = {"language"}) {
  SummaryPlan plan;
  for (std::size_t v = 0; v < variants; ++v) {
    plan.variants.push_back(
        {"v" + std::to_string(v) + "/x", "v" + std::to_string(v), "x", "m", false});
  }
  for (const std::string& name : metrics) {
    plan.metrics.push_back({name, true, ""});
  }
  plan.cases = cases;
  plan.seed = 7;
  plan.slices = std::move(slices);
  plan.slice_min_cases = 30;
  return plan;
}

/// Case `index` with `language`, scored `scores[v][m]` in variant v (NaN: no score).
CaseRecord record_of(const SummaryPlan& plan, std::size_t index, const std::string& language,
                     const std::vector<std::vector<double>>& scores) {
  CaseRecord record;
  record.index = index;
  record.id = "c" + std::to_string(index);
  record.vars = {{"language", language}, {"q", "?"}};
  for (std::size_t v = 0; v < scores.size(); ++v) {
    CaseResult result;
    result.variant = plan.variants[v].id;
    for (std::size_t m = 0; m < scores[v].size(); ++m) {
      if (!std::isnan(scores[v][m])) {
        result.metric(plan.metrics[m].name).score = scores[v][m];
      }
    }
    record.results.push_back(std::move(result));
  }
  return record;
}

const SliceFigures& slice_named(const std::vector<SliceFigures>& slices, const std::string& value) {
  const auto found = std::find_if(slices.begin(), slices.end(),
                                  [&](const SliceFigures& s) { return s.value == value; });
  if (found == slices.end()) {
    throw std::runtime_error("no slice " + value);
  }
  return *found;
}

TEST(Slices, FiguresEqualTheSummaryOfTheSlicesCasesAlone) {
  // Three languages, a continuous metric (bootstrap interval) and a 0/1 one (Wilson), one
  // score missing now and then: each slice's figures must be what an accumulator fed only
  // that slice's cases, in the same order, gives for the whole.
  const std::vector<std::string> languages = {"de", "en", "fr"};
  const SummaryPlan plan = plan_of(2, {"quality", "exact_match"}, 90);
  SummaryAccumulator all(plan);
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<CaseRecord> records;
  for (std::size_t i = 0; i < 90; ++i) {
    std::vector<std::vector<double>> scores(2);
    for (auto& variant : scores) {
      const double quality = uniform(random) < 0.1 ? std::nan("") : uniform(random);
      variant = {quality, uniform(random) < 0.6 ? 1.0 : 0.0};
    }
    records.push_back(record_of(plan, i, languages[(i * 7) % 3], scores));
    all.add(records.back());
  }
  const std::vector<SliceFigures> slices = all.slice_figures();
  ASSERT_EQ(slices.size(), 3u);
  for (const std::string& language : languages) {
    const SliceFigures& slice = slice_named(slices, language);
    SummaryPlan alone_plan = plan;
    alone_plan.slices.clear();
    alone_plan.cases = slice.cases;
    SummaryAccumulator alone(alone_plan);
    std::size_t position = 0;
    for (CaseRecord record : records) {
      if (record.vars["language"] == language) {
        record.index = position++;
        alone.add(record);
      }
    }
    ASSERT_EQ(slice.cases, position) << language;
    const std::vector<VariantSummary> expected = alone.variants();
    ASSERT_EQ(slice.variants.size(), expected.size());
    for (std::size_t v = 0; v < expected.size(); ++v) {
      EXPECT_EQ(slice.variants[v].id, expected[v].id);
      EXPECT_EQ(slice.variants[v].cases, expected[v].cases);
      for (std::size_t m = 0; m < 2; ++m) {
        const MetricSummary& got = slice.variants[v].metrics[m];
        const MetricSummary& want = expected[v].metrics[m];
        SCOPED_TRACE(language + " " + want.name);
        EXPECT_EQ(got.n, want.n);
        EXPECT_EQ(got.unscored, want.unscored);
        EXPECT_DOUBLE_EQ(got.mean, want.mean);
        EXPECT_DOUBLE_EQ(got.stddev, want.stddev);
        EXPECT_DOUBLE_EQ(got.ci_low, want.ci_low);
        EXPECT_DOUBLE_EQ(got.ci_high, want.ci_high);
        EXPECT_GT(got.ci_high, got.ci_low);
      }
    }
    // The slice's comparisons are those of its cases alone, before Holm's correction.
    const std::vector<Comparison> alone_comparisons = alone.comparisons();
    std::vector<Comparison> sliced;
    for (const Comparison& c : all.comparisons()) {
      if (c.slice_value == language) {
        sliced.push_back(c);
      }
    }
    ASSERT_EQ(sliced.size(), alone_comparisons.size());
    for (std::size_t c = 0; c < sliced.size(); ++c) {
      EXPECT_EQ(sliced[c].n, alone_comparisons[c].n);
      EXPECT_DOUBLE_EQ(sliced[c].mean_diff, alone_comparisons[c].mean_diff);
      EXPECT_DOUBLE_EQ(sliced[c].p_value, alone_comparisons[c].p_value);
      EXPECT_DOUBLE_EQ(sliced[c].ci95.low, alone_comparisons[c].ci95.low);
      EXPECT_GE(sliced[c].p_adjusted, alone_comparisons[c].p_adjusted);
    }
  }
}

/// 100 "en" cases where v1 fixes 35 of the baseline's misses, 100 "de" cases where it breaks
/// 25 of the baseline's hits: overall a small gain that is not significant.
SummaryAccumulator planted_regression(std::vector<GateConfig> gates = {},
                                      std::size_t min_cases = 30) {
  SummaryPlan plan = plan_of(2, {"exact_match"}, 200);
  plan.gates = std::move(gates);
  plan.slice_min_cases = min_cases;
  SummaryAccumulator summary(plan);
  for (std::size_t i = 0; i < 200; ++i) {
    const bool english = i % 2 == 0;
    const std::size_t k = i / 2;
    double baseline = k < 50 ? 1 : 0;
    double variant = baseline;
    if (english && k >= 50 && k < 85) {
      variant = 1;  // fixed
    }
    if (!english && k < 25) {
      variant = 0;  // broken
    }
    summary.add(record_of(plan, i, english ? "en" : "de", {{baseline}, {variant}}));
  }
  return summary;
}

TEST(Slices, FindAPlantedRegressionTheOverallComparisonMisses) {
  const SummaryAccumulator summary = planted_regression();
  const std::vector<Comparison> comparisons = summary.comparisons();
  // Overall, de and en (slices sorted by value), one Holm family of three.
  ASSERT_EQ(comparisons.size(), 3u);
  const Comparison& overall = comparisons[0];
  EXPECT_TRUE(overall.slice_field.empty());
  EXPECT_NEAR(overall.mean_diff, 10.0 / 200.0, 1e-12);
  EXPECT_EQ(overall.verdict, Verdict::no_significant_difference);
  EXPECT_GT(overall.p_value, 0.05);

  const Comparison& german = comparisons[1];
  EXPECT_EQ(german.slice_field, "language");
  EXPECT_EQ(german.slice_value, "de");
  EXPECT_EQ(german.n, 100u);
  EXPECT_NEAR(german.mean_diff, -0.25, 1e-12);
  EXPECT_NEAR(german.p_value, mcnemar_exact_p(25, 0), 1e-15);
  // Holm over 3: en's p (2^-34) is the smallest and is tripled, de's the second, doubled.
  EXPECT_NEAR(german.p_adjusted, 2 * mcnemar_exact_p(25, 0), 1e-15);
  EXPECT_EQ(german.verdict, Verdict::worse);

  const Comparison& english = comparisons[2];
  EXPECT_EQ(english.slice_value, "en");
  EXPECT_EQ(english.verdict, Verdict::better);

  // In the report: the overall comparison in `comparisons`, the slice's in `slices`, and
  // the line that says what the overall one hides.
  const SummaryFigures figures = summary.figures();
  ASSERT_EQ(figures.comparisons.size(), 1u);
  EXPECT_EQ(figures.comparisons[0]["verdict"], "no_significant_difference");
  EXPECT_FALSE(figures.comparisons[0].contains("slice"));
  const nlohmann::ordered_json& de = figures.slices["values"][0];
  EXPECT_EQ(de["value"], "de");
  EXPECT_EQ(de["cases"], 100u);
  EXPECT_EQ(de["comparisons"][0]["verdict"], "worse");
  EXPECT_EQ(de["comparisons"][0]["slice"], (nlohmann::ordered_json{{"language", "de"}}));
  const std::vector<std::string> findings =
      slice_findings(figures.comparisons, figures.slices, true);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0],
            "v1/x exact_match: worse on language=de (-0.250, p<0.0001 Holm-adjusted, n=100); "
            "overall: no significant difference");
  EXPECT_EQ(slice_findings(figures.comparisons, figures.slices, false).size(), 2u);
}

TEST(Slices, MoreSlicesMeanLargerAdjustedPValues) {
  // The same data with a second slice field: more comparisons in the family.
  SummaryPlan plan = plan_of(2, {"exact_match"}, 40, {"language", "topic"});
  SummaryAccumulator summary(plan);
  for (std::size_t i = 0; i < 40; ++i) {
    CaseRecord record = record_of(plan, i, i % 2 == 0 ? "en" : "de", {{0}, {i < 12 ? 1.0 : 0.0}});
    record.vars["topic"] = static_cast<int>(i % 4);  // numbers are sliced as their text
    summary.add(record);
  }
  const std::vector<Comparison> comparisons = summary.comparisons();
  ASSERT_EQ(comparisons.size(), 1u + 2u + 4u);
  EXPECT_NEAR(comparisons[0].p_value, mcnemar_exact_p(0, 12), 1e-15);
  EXPECT_NEAR(comparisons[0].p_adjusted, 7 * mcnemar_exact_p(0, 12), 1e-15);
  EXPECT_EQ(comparisons[3].slice_field, "topic");
  EXPECT_EQ(comparisons[3].slice_value, "0");
}

GateConfig gate_of(double min, std::optional<GateSlice> slice) {
  GateConfig gate;
  gate.metric = "exact_match";
  gate.min = min;
  gate.variant = "v1/x";
  gate.slice = std::move(slice);
  return gate;
}

TEST(Slices, ASliceGateFailsWhileTheOverallGatePasses) {
  // v1's exact_match: 0.55 overall, 0.85 on en, 0.25 on de.
  const SummaryAccumulator summary = planted_regression(
      {gate_of(0.5, std::nullopt), gate_of(0.5, GateSlice{"language", "de", false}),
       gate_of(0.5, GateSlice{"", "", true})});
  const std::vector<GateResult> gates = summary.figures().gates;
  ASSERT_EQ(gates.size(), 4u);  // overall, de, then each: de and en
  EXPECT_TRUE(gates[0].passed);
  EXPECT_TRUE(gates[0].slice_field.empty());
  EXPECT_FALSE(gates[1].passed);
  EXPECT_EQ(gates[1].slice_value, "de");
  EXPECT_NEAR(*gates[1].value, 0.25, 1e-12);
  EXPECT_EQ(gates[1].slice_cases, 100u);
  EXPECT_EQ(describe_gate_failure(gates[1]),
            "v1/x exact_match on language=de: mean 0.25 < min 0.5 (short by 0.25)");
  EXPECT_FALSE(gates[2].passed);
  EXPECT_EQ(gates[2].slice_value, "de");
  EXPECT_TRUE(gates[3].passed);
  EXPECT_EQ(gates[3].slice_value, "en");
}

TEST(Slices, SmallSlicesAreShownButNotGated) {
  const SummaryAccumulator summary =
      planted_regression({gate_of(0.5, GateSlice{"language", "de", false})}, 101);
  const SummaryFigures figures = summary.figures();
  ASSERT_EQ(figures.gates.size(), 1u);
  EXPECT_TRUE(figures.gates[0].passed);
  EXPECT_EQ(figures.gates[0].not_gated, "n=100 < 101: not gated");
  EXPECT_NEAR(*figures.gates[0].value, 0.25, 1e-12);  // still shown
  EXPECT_EQ(figures.slices["values"][0]["gated"], false);
  EXPECT_EQ(figures.slices["values"][0]["note"], "n=100 < 101: not gated");
  // The regression is still said, with why it does not count.
  const auto findings = slice_findings(figures.comparisons, figures.slices, true);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_NE(findings[0].find("(n=100 < 101: not gated)"), std::string::npos) << findings[0];
}

TEST(Slices, AGateOnASliceValueNoCaseHasFails) {
  const SummaryAccumulator summary =
      planted_regression({gate_of(0.1, GateSlice{"language", "fr", false})});
  const std::vector<GateResult> gates = summary.figures().gates;
  ASSERT_EQ(gates.size(), 1u);
  EXPECT_FALSE(gates[0].passed);
  EXPECT_TRUE(gates[0].missing_slice);
  EXPECT_EQ(describe_gate_failure(gates[0]),
            "v1/x exact_match on language=fr: no case has language=fr (min 0.1)");
}

TEST(Slices, MergedAccumulatorsGiveTheSameSlices) {
  const SummaryAccumulator whole = planted_regression();
  SummaryPlan plan = whole.plan();
  SummaryAccumulator odd(plan);
  SummaryAccumulator even(plan);
  const SummaryAccumulator reference = planted_regression();
  // Re-feed the planted data split by case parity (en in one part, de in the other).
  for (std::size_t i = 0; i < 200; ++i) {
    const bool english = i % 2 == 0;
    const std::size_t k = i / 2;
    double baseline = k < 50 ? 1 : 0;
    double variant = baseline;
    variant = english && k >= 50 && k < 85 ? 1 : !english && k < 25 ? 0 : variant;
    (english ? even : odd).add(record_of(plan, i, english ? "en" : "de", {{baseline}, {variant}}));
  }
  odd.merge(even);  // de first seen, then en: the output order is by value all the same
  EXPECT_EQ(odd.figures().slices, reference.figures().slices);
}

TEST(Slices, ACaseWithoutTheFieldIsALocatedError) {
  const SummaryPlan plan = plan_of(1, {"exact_match"}, 2);
  SummaryAccumulator summary(plan);
  CaseRecord record = record_of(plan, 0, "en", {{1}});
  record.vars.erase("language");
  try {
    summary.add(record, "r.json");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(),
                 "r.json: case 'c0'.vars.language: the case has no field 'language' to slice by");
  }
  record.vars["language"] = nlohmann::json::array({"en"});
  EXPECT_THROW(summary.add(record, "r.json"), UserError);
}

/// The model echoes the prompt.
TransferResult echo(const HttpRequest& request) {
  const auto body = nlohmann::json::parse(request.body);
  HttpResponse response;
  response.status = 200;
  response.latency_ms = 2;
  response.body =
      nlohmann::json{
          {"choices", {{{"message", {{"content", body["messages"].back()["content"]}}}}}}}
          .dump();
  return response;
}

TEST(Slices, RecomputedFromTheReportGiveTheSameBytes) {
  // Two variants, `each` gates on both, a gate on one value: what eval wrote in `slices` and
  // `gates` is what compare and merge rebuild from the report's cases and head.
  testing::ScratchDir dir;
  std::string rows;
  for (int i = 0; i < 24; ++i) {
    const std::string answer = i % 3 == 0 ? "yes" : "no";
    rows += nlohmann::json{{"id", "c" + std::to_string(i)},
                           {"language", i % 2 == 0 ? "en" : "de"},
                           {"topic", i % 4},
                           {"a", answer},
                           {"b", i % 5 == 0 ? "yes" : answer},
                           {"label", answer}}
                .dump() +
            "\n";
  }
  dir.write("data.jsonl", rows);
  const Config config = load_config(dir.write("cfg.yaml", R"(providers:
  - {id: local, base_url: "http://127.0.0.1:1/v1", model: m, retries: 0}
prompts:
  - {id: a, template: "{{a}}"}
  - {id: b, template: "{{b}}"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match]
slices: [language, topic]
slice_min_cases: 10
gates:
  - {metric: exact_match, min: 0.9, slice: each}
  - {metric: exact_match, min: 0.5, slice: {language: de}, on: ci_low}
  - {metric: exact_match, min: 0.5}
)"));
  testing::FakeTransport transport(echo);
  transport.finish_per_poll = 3;
  testing::FakeClock clock;
  RunOptions options;
  options.output = dir.path() / "report.json";
  options.clock = &clock;
  options.seed = 5;
  const ReportSummary written = run_eval(config, options, transport, [](const Progress&) {});
  ASSERT_EQ(written.gates.size(), 2u * 6u + 2u + 2u);
  EXPECT_EQ(written.gates[0].variant, "a/local");
  EXPECT_EQ(written.gates[5].variant, "a/local");
  EXPECT_EQ(written.gates[6].variant, "b/local");
  EXPECT_EQ(written.gates[2].not_gated, "n=6 < 10: not gated");  // topic=0

  const auto report = open_report_file(options.output);
  const SummaryFigures figures = summarize_report(*report);
  ReportSummary recomputed;
  recomputed.variants = figures.variants;
  recomputed.comparisons = figures.comparisons;
  recomputed.gates = figures.gates;
  recomputed.slices = figures.slices;
  const nlohmann::ordered_json ours = to_json(recomputed);
  const nlohmann::ordered_json& theirs = report->head();
  for (const char* key : {"variants", "comparisons", "gates", "slices"}) {
    EXPECT_EQ(ours[key].dump(), theirs[key].dump()) << key;
  }
  EXPECT_EQ(theirs["slices"]["values"].size(), 6u);
  EXPECT_EQ(theirs["gates"][0]["gate_slice"], "each");
}

TEST(SliceText, StringifiesScalarsAndRefusesTheRest) {
  EXPECT_EQ(slice_text("de"), "de");
  EXPECT_EQ(slice_text(3), "3");
  EXPECT_EQ(slice_text(2.5), "2.5");
  EXPECT_EQ(slice_text(true), "true");
  EXPECT_EQ(slice_text(nullptr), std::nullopt);
  EXPECT_EQ(slice_text(nlohmann::json::object()), std::nullopt);
  EXPECT_EQ(slice_text(nlohmann::json::array()), std::nullopt);
  try {
    (void)slice_value({{"language", {{"a", 1}}}}, "language", SourceLocation{"d.jsonl", 4, 0});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(),
                 "d.jsonl:4: language: a slice value must be a string, number or boolean, got "
                 "mapping");
  }
}

}  // namespace
}  // namespace slices_test
}  // namespace promptbench
