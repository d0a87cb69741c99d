// SPDX-License-Identifier: Apache-2.0
// The report's summary is a function of its cases: recomputing `variants`, `comparisons`
// and `gates` from a finished report's cases gives what eval wrote, byte for byte -- with
// repeats, a judge, corpus BLEU, pricing, failed requests and a failed gate in it.
#include <fstream>

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

HttpResponse completion(const std::string& text, int prompt_tokens) {
  HttpResponse response;
  response.status = 200;
  response.latency_ms = 3.0 + static_cast<double>(text.size() % 7);
  response.body =
      nlohmann::json{
          {"choices", {{{"message", {{"content", text}}}}}},
          {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", text.size()}}}}
          .dump();
  return response;
}

/// The model echoes the prompt ("FAIL" gets a 500); the judge scores by the length of what
/// it reads, and finds no score in a rubric mentioning "unratable".
TransferResult answer(const HttpRequest& request) {
  const auto body = nlohmann::json::parse(request.body);
  const std::string text = body["messages"].back()["content"];
  if (body["model"] == "judge-model") {
    if (text.find("unratable") != std::string::npos) {
      return completion("no idea", 20);
    }
    return completion("Score: " + std::to_string(text.size() % 11), 20);
  }
  if (text.find("FAIL") != std::string::npos) {
    HttpResponse failure;
    failure.status = 500;
    failure.body = R"({"error":{"message":"boom"}})";
    return failure;
  }
  return completion(text, static_cast<int>(text.size()));
}

TEST(RecomputedSummary, MatchesWhatEvalWroteByteForByte) {
  testing::ScratchDir dir;
  std::string rows;
  const char* texts[] = {"the cat sat on the mat", "a dog", "FAIL", "unratable answer",
                         "green eggs and ham",     "yes",   "no",   "the quick brown fox"};
  for (int i = 0; i < 8; ++i) {
    rows += nlohmann::json{{"id", "c" + std::to_string(i)},
                           {"text", texts[i]},
                           {"label", i % 2 == 0 ? texts[i] : "the cat"}}
                .dump() +
            "\n";
  }
  dir.write("data.jsonl", rows);
  const Config config = load_config(dir.write("cfg.yaml", R"(name: recompute
providers:
  - {id: local, base_url: "http://127.0.0.1:1/v1", model: m, retries: 0,
     pricing: {prompt: 1.5, completion: 2}}
judges: [{id: grader, base_url: "http://127.0.0.1:1/v1", model: judge-model, retries: 0}]
prompts:
  - {id: plain, template: "{{text}}"}
  - {id: tail, template: "{{text}} please"}
dataset: {path: data.jsonl, reference: label, id: id}
repeat: 2
metrics:
  - exact_match
  - bleu
  - latency
  - {llm_judge: {judge: grader, threshold: 5, rubric: "Rate 0-10: {{output}}"}}
gates:
  - {metric: exact_match, min: 0.9}
  - {metric: bleu, min: 1, max_unscored: 25%}
)"));
  testing::FakeTransport transport(answer);
  transport.finish_per_poll = 5;  // answers come back out of order
  testing::FakeClock clock;
  RunOptions options;
  options.output = dir.path() / "report.json";
  options.clock = &clock;
  options.seed = 11;
  Progress last;
  const ReportSummary written =
      run_eval(config, options, transport, [&](const Progress& progress) { last = progress; });
  ASSERT_GT(written.run.errors.requests.failed, 0u);  // FAIL's requests
  // Judge requests count in the progress like the others, and the count comes out even.
  EXPECT_EQ(last.done, transport.started.size());
  EXPECT_EQ(last.total, last.done);
  ASSERT_GT(written.run.errors.judges.failed, 0u);  // the unratable verdicts
  ASSERT_FALSE(written.gates.front().passed);

  const auto report = open_report_file(options.output);
  ReportSummary recomputed;
  const SummaryFigures summary = summarize_report(*report);
  recomputed.variants = summary.variants;
  recomputed.comparisons = summary.comparisons;
  recomputed.gates = summary.gates;
  const Json ours = to_json(recomputed);
  const Json& theirs = report->head();
  for (const char* key : {"variants", "comparisons", "gates"}) {
    EXPECT_EQ(ours[key].dump(), theirs[key].dump()) << key;
  }
  // Not vacuous: the figures it matched are there.
  EXPECT_TRUE(theirs["variants"][0]["metrics"]["bleu"]["corpus"].is_number());
  EXPECT_TRUE(theirs["variants"][0]["cost_usd"].is_number());
  EXPECT_EQ(theirs["comparisons"].size(), 4u);
  EXPECT_GT(theirs["variants"][0]["errors"].get<int>(), 0);
  // Every HTTP request sent, judges' included, is in some variant's attempts.
  std::size_t attempts = 0;
  for (const VariantSummary& variant : written.variants) {
    attempts += variant.attempts;
  }
  std::size_t judge_requests = 0;
  for (const HttpRequest& request : transport.started) {
    judge_requests += nlohmann::json::parse(request.body)["model"] == "judge-model" ? 1 : 0;
  }
  EXPECT_GT(judge_requests, 0u);
  EXPECT_EQ(attempts, transport.started.size());
}

TEST(RecomputedSummary, EachCaseCarriesItsDatasetIndex) {
  testing::ScratchDir dir;
  dir.write("data.jsonl", "{\"t\": \"a\"}\n{\"t\": \"b\"}\n{\"t\": \"c\"}\n");
  const Config config = load_config(
      dir.write("cfg.yaml", R"(providers: [{id: p, base_url: "http://127.0.0.1:1/v1", model: m}]
prompts: [{id: q, template: "{{t}}"}]
dataset: {path: data.jsonl, reference: t}
metrics: [exact_match]
)"));
  testing::FakeTransport transport(answer);
  transport.finish_per_poll = 2;
  testing::FakeClock clock;
  RunOptions options;
  options.output = dir.path() / "report.json";
  options.clock = &clock;
  (void)run_eval(config, options, transport);
  std::ifstream in(options.output);
  const Json report = Json::parse(in);
  ASSERT_EQ(report["cases"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(report["cases"][i]["index"], i);
  }
}

}  // namespace
}  // namespace promptbench
