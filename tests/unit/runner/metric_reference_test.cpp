// SPDX-License-Identifier: Apache-2.0
// The runner scores each metric against its own reference field (`reference:`), a judge's
// rubric reads that field as {{reference}}, the report names the field in the variants and
// the comparisons, and the summary recomputed from the report's cases says the same.
#include <gtest/gtest.h>

#include "promptbench/report_formats.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/summary.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using Json = nlohmann::ordered_json;

HttpResponse completion(const std::string& text) {
  HttpResponse response;
  response.status = 200;
  response.latency_ms = 4;
  response.body = nlohmann::json{{"choices", {{{"message", {{"content", text}}}}}},
                                 {"usage", {{"prompt_tokens", 2}, {"completion_tokens", 1}}}}
                      .dump();
  return response;
}

/// The model echoes the prompt; the judge gives 9 when the rubric shows the keyword field
/// (it starts with "kw:"), else 1.
TransferResult answer(const HttpRequest& request) {
  const auto body = nlohmann::json::parse(request.body);
  const std::string text = body["messages"].back()["content"];
  if (body["model"] == "judge-model") {
    return completion(text.find("expected kw:") != std::string::npos ? "Score: 9" : "Score: 1");
  }
  return completion(text);
}

class MetricReferenceRun : public ::testing::Test {
 protected:
  Config write_config(const std::string& rows) {
    m_dir.write("data.jsonl", rows);
    return load_config(m_dir.write("cfg.yaml", R"(name: refs
providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m, retries: 0}]
judges: [{id: grader, base_url: "http://127.0.0.1:1/v1", model: judge-model, retries: 0}]
prompts:
  - {id: plain, template: "{{answer}}"}
  - {id: loud, template: "{{answer}}!"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics:
  - exact_match
  - contains: {reference: keywords}
  - numeric: {reference: n, name: count}
  - llm_judge: {judge: grader, reference: keywords, rubric: "expected {{reference}} got {{output}}"}
)"));
  }

  RunOptions options() const {
    RunOptions run;
    run.output = m_dir.path() / "report.json";
    run.clock = &m_clock;
    return run;
  }

  testing::ScratchDir m_dir;
  mutable testing::FakeClock m_clock;
};

constexpr const char* kRows =
    R"({"id": "a", "answer": "12 eggs", "label": "12 eggs", "keywords": "kw:egg", "n": 12}
{"id": "b", "answer": "3 hens", "label": "three", "keywords": ["kw:cow"], "n": "4"}
)";

TEST_F(MetricReferenceRun, ScoresEachMetricAgainstItsOwnField) {
  const Config config = write_config(
      R"({"id": "a", "answer": "12 eggs kw:egg", "label": "12 eggs kw:egg", "keywords": "kw:egg", "n": 12}
{"id": "b", "answer": "3 hens", "label": "three", "keywords": ["kw:cow"], "n": "4"}
)");
  testing::FakeTransport transport(answer);
  const ReportSummary summary = run_eval(config, options(), transport);
  ASSERT_EQ(summary.variants.size(), 2u);
  const auto& metrics = summary.variants[0].metrics;
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_DOUBLE_EQ(metrics[0].mean, 0.5);  // exact_match against label: a
  EXPECT_DOUBLE_EQ(metrics[1].mean, 0.5);  // contains against keywords: a
  EXPECT_DOUBLE_EQ(metrics[2].mean, 0.5);  // numeric against n: a (3 is not 4)
  // The judge saw a's keywords as {{reference}} (9; its label would give 1), and b's list as
  // JSON text (1).
  EXPECT_DOUBLE_EQ(metrics[3].mean, 5.0);
  EXPECT_EQ(metrics[0].reference, "");
  EXPECT_EQ(metrics[1].reference, "keywords");
  EXPECT_EQ(metrics[2].reference, "n");
  EXPECT_EQ(metrics[3].reference, "keywords");
}

TEST_F(MetricReferenceRun, NamesTheFieldsInTheReportAsTheRecomputedSummaryDoes) {
  const Config config = write_config(kRows);
  testing::FakeTransport transport(answer);
  (void)run_eval(config, options(), transport);

  const auto report = open_report_file(options().output);
  const Json& head = report->head();
  const Json& metrics = head["variants"][1]["metrics"];
  EXPECT_FALSE(metrics["exact_match"].contains("reference"));
  EXPECT_EQ(metrics["contains"]["reference"], "keywords");
  EXPECT_EQ(metrics["count"]["reference"], "n");
  ASSERT_EQ(head["comparisons"].size(), 4u);
  EXPECT_FALSE(head["comparisons"][0].contains("reference"));
  EXPECT_EQ(head["comparisons"][1]["metric"], "contains");
  EXPECT_EQ(head["comparisons"][1]["reference"], "keywords");
  EXPECT_EQ(head["comparisons"][2]["reference"], "n");

  const SummaryFigures figures = summarize_report(*report);
  ReportSummary recomputed;
  recomputed.variants = figures.variants;
  recomputed.comparisons = figures.comparisons;
  const Json ours = to_json(recomputed);
  for (const char* key : {"variants", "comparisons"}) {
    EXPECT_EQ(ours[key].dump(), head[key].dump()) << key;
  }
}

TEST_F(MetricReferenceRun, StopsBeforeSendingAnythingWhenARowLacksAMetricsField) {
  const Config config = write_config(std::string(kRows) +
                                     R"({"id": "c", "answer": "1", "label": "1", "n": 1})" + "\n");
  testing::FakeTransport transport(answer);
  try {
    (void)run_eval(config, options(), transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              (m_dir.path() / "data.jsonl").string() +
                  ":3: case 'c': missing field \"keywords\", the reference of metric 'contains'");
  }
  EXPECT_TRUE(transport.started.empty());
}

TEST_F(MetricReferenceRun, LeavesTheReportOfAConfigWithoutReferencesAsItWas) {
  m_dir.write("data.jsonl", kRows);
  const Config config = load_config(m_dir.write(
      "plain.yaml", R"(providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m}]
prompts: [{id: a, template: "{{answer}}"}, {id: b, template: "{{answer}}."}]
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match, contains]
)"));
  testing::FakeTransport transport(answer);
  (void)run_eval(config, options(), transport);
  const auto report = open_report_file(options().output);
  EXPECT_EQ(report->head()["variants"].dump().find("\"reference\""), std::string::npos);
  EXPECT_EQ(report->head()["comparisons"].dump().find("\"reference\""), std::string::npos);
}

}  // namespace
}  // namespace promptbench
