// SPDX-License-Identifier: Apache-2.0
// `promptbench eval` and `compare` with `slices:` against the stub (README "Slices"). The
// stub echoes the last user message, so each prompt is right exactly where the dataset
// makes the field it sends equal the label: `base` and `cand` are planted so that `cand`
// fixes 30 English cases and breaks 20 German ones -- overall a gain that is not
// significant, hiding a significant loss on language=de.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace slices_test {
namespace {

using nlohmann::json;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::size_t kPerLanguage = 60;

/// Case i of a language: en: base right on 0..19, cand on 0..49 (30 fixed); de: base right
/// on 0..39, cand on 20..39 (20 broken).
std::string dataset() {
  std::string text;
  for (const std::string language : {"en", "de"}) {
    for (std::size_t i = 0; i < kPerLanguage; ++i) {
      const std::string label = i % 2 == 0 ? "red" : "blue";
      const bool base_right = language == "en" ? i < 20 : i < 40;
      const bool cand_right = language == "en" ? i < 50 : (i >= 20 && i < 40);
      text += json{{"id", language + std::to_string(i)},   {"language", language},
                   {"topic", static_cast<int>(i % 3)},     {"label", label},
                   {"base", base_right ? label : "green"}, {"cand", cand_right ? label : "green"}}
                  .dump() +
              "\n";
    }
  }
  return text;
}

constexpr const char* kConfig = R"yaml(name: slices
providers:
  - id: stub
    base_url: @URL@
    model: echo
    retries: 0
prompts:
  - id: base
    messages:
      - {role: system, content: "Case {{id}}."}
      - {role: user, content: "{{base}}"}
  - id: cand
    messages:
      - {role: system, content: "Case {{id}}, again."}
      - {role: user, content: "{{cand}}"}
dataset: {path: cases.jsonl, reference: label, id: id}
metrics:
  - exact_match
baseline: base
slices: [language]
@EXTRA@)yaml";

class Slices : public ::testing::Test {
 protected:
  void write(const std::string& extra = "", const std::string& data = dataset()) {
    m_dir.write("promptbench.yaml",
                replace_all(replace_all(kConfig, "@URL@", m_stub.base_url()), "@EXTRA@", extra));
    m_dir.write("cases.jsonl", data);
  }

  ProcessResult eval(std::vector<std::string> extra = {},
                     const std::string& output = "report.json") {
    std::vector<std::string> args = {"eval",    "-o",    output,       "--no-cache",
                                     "--color", "never", "--progress", "never"};
    args.insert(args.end(), extra.begin(), extra.end());
    return promptbench(m_dir, args);
  }

  json report(const std::string& name = "report.json") const {
    return json::parse(read_file(m_dir.path() / name));
  }

  StubServer m_stub;
  TempDir m_dir;
};

const json& slice_of(const json& report, const std::string& value) {
  for (const json& slice : report.at("slices").at("values")) {
    if (slice.at("value") == value) {
      return slice;
    }
  }
  throw std::runtime_error("no slice " + value);
}

TEST_F(Slices, FindTheRegressionOnOneSliceThatTheOverallComparisonHides) {
  write();
  const ProcessResult result = eval({"--slices"});
  ASSERT_EQ(result.exit_code, 0) << result.err;  // no gate: said, not failed
  const json r = report();

  // Overall: +10 of 120, McNemar on 20 vs 30 discordant pairs, not significant.
  ASSERT_EQ(r["comparisons"].size(), 1u);
  EXPECT_EQ(r["comparisons"][0]["verdict"], "no_significant_difference");
  EXPECT_NEAR(r["comparisons"][0]["mean_diff"].get<double>(), 10.0 / 120.0, 1e-12);

  EXPECT_EQ(r["slices"]["fields"], json::array({"language"}));
  EXPECT_EQ(r["slices"]["min_cases"], 30);
  const json& de = slice_of(r, "de");
  EXPECT_EQ(de["cases"], kPerLanguage);
  EXPECT_EQ(de["gated"], true);
  EXPECT_NEAR(de["variants"][0]["metrics"]["exact_match"]["mean"].get<double>(), 40.0 / 60, 1e-12);
  EXPECT_NEAR(de["variants"][1]["metrics"]["exact_match"]["mean"].get<double>(), 20.0 / 60, 1e-12);
  const json& worse = de["comparisons"][0];
  EXPECT_EQ(worse["slice"], (json{{"language", "de"}}));
  EXPECT_EQ(worse["verdict"], "worse");
  EXPECT_NEAR(worse["mean_diff"].get<double>(), -20.0 / 60, 1e-12);
  // 20 discordant pairs all one way: p = 2^-19. Holm over the 3 comparisons: en's (30 one
  // way, 2^-29) is the smallest, de's the second: doubled.
  EXPECT_NEAR(worse["p_value"].get<double>(), std::ldexp(1.0, -19), 1e-15);
  EXPECT_NEAR(worse["p_adjusted"].get<double>(), 2 * std::ldexp(1.0, -19), 1e-15);
  EXPECT_EQ(slice_of(r, "en")["comparisons"][0]["verdict"], "better");

  EXPECT_THAT(result.err, HasSubstr("promptbench: slice regression: cand/stub exact_match: worse "
                                    "on language=de (-0.333, p<0.0001 Holm-adjusted, n=60); "
                                    "overall: no significant difference\n"));
  EXPECT_THAT(result.out, HasSubstr("slices (mean [95% CI]; comparisons paired, Holm-adjusted "
                                    "across all 3):\n  language=de  n=60\n"));
  EXPECT_THAT(result.out,
              ContainsRegex("\n    cand/stub +0\\.333 \\[0\\.[0-9]{3}, 0\\.[0-9]{3}\\]\n"));
  EXPECT_THAT(result.out, HasSubstr("    cand/stub vs base/stub  exact_match  -0.333 ["));
}

TEST_F(Slices, WithoutTheFlagTheTableStaysAsItWasButTheRegressionIsSaid) {
  write();
  const ProcessResult result = eval();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("language=")));
  EXPECT_THAT(result.err, HasSubstr("slice regression: cand/stub exact_match: worse on "
                                    "language=de"));
}

TEST_F(Slices, ASliceGateFailsWhileTheOverallGatePasses) {
  write(R"(gates:
  - {metric: exact_match, min: 0.5, variant: cand/stub}
  - {metric: exact_match, min: 0.5, variant: cand/stub, slice: {language: de}}
)");
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("promptbench: gate failed (1 of 2): cand/stub exact_match on "
                                    "language=de: mean 0.3333 < min 0.5 (short by 0.1667)\n"));
  const json gates = report()["gates"];
  ASSERT_EQ(gates.size(), 2u);
  EXPECT_EQ(gates[0]["passed"], true);
  EXPECT_FALSE(gates[0].contains("slice"));
  EXPECT_EQ(gates[1]["passed"], false);
  EXPECT_EQ(gates[1]["slice"], (json{{"language", "de"}}));
  EXPECT_EQ(gates[1]["slice_cases"], kPerLanguage);

  // `slice: each` holds the bound on every value: de fails, en passes.
  write("gates: [{metric: exact_match, min: 0.5, variant: cand/stub, slice: each}]\n");
  const ProcessResult each = eval();
  EXPECT_EQ(each.exit_code, 1) << each.err;
  EXPECT_THAT(each.err, HasSubstr("gate failed (1 of 2): cand/stub exact_match on language=de"));
}

TEST_F(Slices, ASliceWithTooFewCasesIsShownButNotGated) {
  write(R"(slice_min_cases: 61
gates:
  - {metric: exact_match, min: 0.5, variant: cand/stub, slice: {language: de}}
)");
  const ProcessResult result = eval({"--slices"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json gate = report()["gates"][0];
  EXPECT_EQ(gate["passed"], true);
  EXPECT_EQ(gate["not_gated"], "n=60 < 61: not gated");
  EXPECT_NEAR(gate["value"].get<double>(), 20.0 / 60, 1e-12);
  EXPECT_THAT(result.out, HasSubstr("  language=de  n=60  (n=60 < 61: not gated)\n"));
  EXPECT_THAT(result.err, HasSubstr("worse on language=de"));
  EXPECT_THAT(result.err, HasSubstr("(n=60 < 61: not gated)"));
}

TEST_F(Slices, AGateOnASliceValueTheDataLacksIsAnErrorBeforeAnythingIsSent) {
  write("gates: [{metric: exact_match, min: 0.5, slice: {language: fr}}]\n");
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("promptbench.yaml:21:"));
  EXPECT_THAT(result.err, HasSubstr("gates[0].slice: no selected case has language=fr; it has "
                                    "de, en"));
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

TEST_F(Slices, ARowWithoutTheFieldOrWithAnObjectInItIsALocatedError) {
  std::string data = dataset();
  const std::string missing = R"({"id": "x", "label": "red", "base": "red", "cand": "red"})";
  write("", data + missing + "\n");
  ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("cases.jsonl:121: language: the row has no field 'language' "
                                    "(a slice of the config)"));
  const std::string object =
      R"({"id": "x", "language": {"code": "fr"}, "label": "red", "base": "red", "cand": "red"})";
  write("", data + object + "\n");
  result = eval();
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("cases.jsonl:121: language: a slice value must be a string, "
                                    "number or boolean, got mapping"));
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

TEST_F(Slices, NumbersAreSlicedAsTheirTextAndEverySliceJoinsTheFamily) {
  write();
  m_dir.write("promptbench.yaml", replace_all(read_file(m_dir.path() / "promptbench.yaml"),
                                              "slices: [language]", "slices: [language, topic]"));
  ASSERT_EQ(eval().exit_code, 0);
  const json r = report();
  std::vector<std::string> labels;
  std::size_t comparisons = 0;
  for (const json& slice : r["slices"]["values"]) {
    labels.push_back(slice["field"].get<std::string>() + "=" + slice["value"].get<std::string>());
    comparisons += slice["comparisons"].size();
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"language=de", "language=en", "topic=0", "topic=1",
                                              "topic=2"}));
  EXPECT_EQ(comparisons, 5u);
  // Holm over 6: language=en's p is the smallest (x 6), language=de's the second (x 5).
  EXPECT_NEAR(slice_of(r, "de")["comparisons"][0]["p_adjusted"].get<double>(),
              5 * std::ldexp(1.0, -19), 1e-15);
}

TEST_F(Slices, MarkdownShowsTheSlicesAndTheRegression) {
  write("gates: [{metric: exact_match, min: 0.5, variant: cand/stub, slice: {language: de}}]\n");
  ASSERT_EQ(eval({"--md", "report.md"}).exit_code, 1);
  const std::string md = read_file(m_dir.path() / "report.md");
  EXPECT_THAT(md, HasSubstr("### Slices\n\n| slice | n | variant | exact_match |\n"));
  EXPECT_THAT(md, HasSubstr("| language=de | 60 | cand/stub | 0.3333 ("));
  EXPECT_THAT(md,
              HasSubstr("| exact_match | base/stub | cand/stub | language=de | 60 | -0.3333 |"));
  EXPECT_THAT(md, HasSubstr("- cand/stub exact_match: worse on language=de (-0.333, p&lt;0.0001 "
                            "Holm-adjusted, n=60); overall: no significant difference\n"));
  EXPECT_THAT(
      md, HasSubstr("| cand/stub | exact_match on language=de | mean ≥ 0.5 | 0.3333 | ❌ failed |"));
  // The HTML page carries the slices too (its head is the report's).
  ASSERT_EQ(promptbench(m_dir, {"report", "report.json", "--html", "report.html"}).exit_code, 0);
  EXPECT_THAT(read_file(m_dir.path() / "report.html"), HasSubstr("\"slices\""));
}

TEST_F(Slices, CompareFindsTheRegressionOnTheSliceAndFailsOnIt) {
  write();
  ASSERT_EQ(eval({"--prompt", "base"}, "base.json").exit_code, 0);
  ASSERT_EQ(eval({"--prompt", "cand"}, "cand.json").exit_code, 0);
  // The reports' own slices (language): the de loss fails the comparison.
  ProcessResult result =
      promptbench(m_dir, {"compare", "base.json", "cand.json", "--fail-on-regression"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, ContainsRegex("\nexact_match +all +base/stub +cand/stub +120 .* no "
                                        "significant difference\n"));
  EXPECT_THAT(result.out, ContainsRegex("\nexact_match +language=de +base/stub +cand/stub +60 "
                                        "+-0\\.3333 .* worse\n"));
  EXPECT_THAT(result.out, HasSubstr("exact_match base/stub -> cand/stub: worse on language=de "
                                    "(-0.3333, p<0.0001 Holm-adjusted, n=60); overall: no "
                                    "significant difference\n"));
  EXPECT_THAT(result.err, HasSubstr("regression: exact_match base/stub -> cand/stub on "
                                    "language=de: mean -0.3333"));
  // The overall comparison alone does not find it.
  result = promptbench(
      m_dir, {"compare", "base.json", "cand.json", "--fail-on-regression", "--slice", "none"});
  EXPECT_EQ(result.exit_code, 2);  // no such field in the cases
  EXPECT_THAT(result.err, HasSubstr("base.json: case 'en0'.vars.none: the case has no field "
                                    "'none' to slice by"));
  result = promptbench(m_dir, {"compare", "base.json", "cand.json", "--fail-on-regression",
                               "--no-slices", "--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json out = json::parse(result.out);
  EXPECT_EQ(out["comparisons"].size(), 1u);
  EXPECT_EQ(out["regression"], false);
  // By topic instead: no slice regression there (de's loss is spread over the topics).
  result = promptbench(
      m_dir, {"compare", "base.json", "cand.json", "--slice", "topic", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json::parse(result.out)["comparisons"].size(), 4u);
  EXPECT_EQ(json::parse(result.out)["slices"]["fields"], json::array({"topic"}));
}

TEST_F(Slices, MergedShardsGiveTheSlicesAndGatesOfOneRun) {
  // Shards hold different slice values' cases; `each` expands to the values each one has.
  write(R"(gates:
  - {metric: exact_match, min: 0.5, slice: each}
  - {metric: exact_match, min: 0.5, variant: cand/stub, slice: {language: de}}
)");
  ASSERT_EQ(eval({}, "whole.json").exit_code, 1);
  for (const std::string shard : {"0/3", "1/3", "2/3"}) {
    const ProcessResult part = eval({"--shard", shard}, "part" + shard.substr(0, 1) + ".json");
    ASSERT_EQ(part.exit_code, 0) << part.err;  // a shard's gates wait for the merge
  }
  const ProcessResult merged = promptbench(
      m_dir, {"merge", "part0.json", "part1.json", "part2.json", "-o", "merged.json", "-q"});
  EXPECT_EQ(merged.exit_code, 1) << merged.err;
  EXPECT_THAT(merged.err, HasSubstr("cand/stub exact_match on language=de: mean 0.3333"));
  const json whole = report("whole.json");
  const json together = report("merged.json");
  EXPECT_EQ(together["slices"].dump(), whole["slices"].dump());
  EXPECT_EQ(together["gates"].dump(), whole["gates"].dump());
  EXPECT_EQ(together["comparisons"].dump(), whole["comparisons"].dump());
  EXPECT_EQ(whole["gates"].size(), 2u * 2u + 1u);
}

}  // namespace
}  // namespace slices_test
}  // namespace promptbench::testing
