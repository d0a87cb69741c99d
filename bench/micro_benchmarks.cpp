// SPDX-License-Identifier: Apache-2.0
// Micro benchmarks of the per-case work in the core: render, build and parse, score, read a
// row, serialize a report case (docs/BENCHMARKS.md).
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "promptbench/cache.hpp"
#include "promptbench/case_result.hpp"
#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/report.hpp"
#include "report/report_writer.hpp"
#include "scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;
using promptbench::Case;
using promptbench::bench::ScratchDir;

/// A sentiment case with four few-shot examples in the row, as a few-shot prompt sees it.
Case few_shot_case() {
  Case row;
  row.id = "17";
  row.vars = {{"text", "The soup was cold and the waiter forgot our drinks twice."},
              {"label", "negative"},
              {"examples", nlohmann::json::array()}};
  const char* reviews[][2] = {
      {"The jacket arrived a day early and fits perfectly.", "positive"},
      {"It stopped working after two days and the seller never replied.", "negative"},
      {"Friendly waiters, generous portions and a view of the river.", "positive"},
      {"The seats were cramped and the film dragged on for far too long.", "negative"}};
  for (const auto& [review, label] : reviews) {
    row.vars["examples"].push_back({{"review", review}, {"label", label}});
  }
  row.reference = "negative";
  return row;
}

promptbench::PromptConfig few_shot_prompt() {
  promptbench::PromptConfig config;
  config.id = "fewshot";
  config.text =
      "Classify the sentiment of the customer review as positive or negative.\n"
      "Answer with one word: positive or negative.\n\n"
      "{{#examples}}Review: {{review}}\nSentiment: {{label}}\n\n{{/examples}}"
      "Review: {{text}}\nSentiment:";
  return config;
}

promptbench::ProviderConfig openai_provider() {
  promptbench::ProviderConfig config;
  config.id = "local";
  config.type = "openai";
  config.base_url = "http://127.0.0.1:8080/v1";
  config.model = "demo";
  config.params = {{"temperature", 0}, {"max_tokens", 16}};
  return config;
}

void BM_RenderFewShotTemplate(benchmark::State& state) {
  const promptbench::PromptTemplate prompt(few_shot_prompt());
  const Case row = few_shot_case();
  for (auto _ : state) {
    promptbench::RenderedPrompt rendered = prompt.render(row);
    benchmark::DoNotOptimize(rendered);
  }
}
BENCHMARK(BM_RenderFewShotTemplate);

void BM_OpenAiBuildRequest(benchmark::State& state) {
  const auto provider = promptbench::make_provider(openai_provider());
  const Case row = few_shot_case();
  const promptbench::RenderedPrompt prompt =
      promptbench::PromptTemplate(few_shot_prompt()).render(row);
  for (auto _ : state) {
    promptbench::HttpRequest request = provider->build_request(prompt, row.vars);
    benchmark::DoNotOptimize(request);
  }
}
BENCHMARK(BM_OpenAiBuildRequest);

/// The same body built as an nlohmann tree and dumped, as promptbench did before it wrote
/// bodies directly: the yardstick for BM_OpenAiBuildRequest's body.
void BM_OpenAiBodyAsTree(benchmark::State& state) {
  const promptbench::ProviderConfig config = openai_provider();
  const Case row = few_shot_case();
  const promptbench::RenderedPrompt prompt =
      promptbench::PromptTemplate(few_shot_prompt()).render(row);
  for (auto _ : state) {
    nlohmann::json body = config.params;
    body["model"] = config.model;
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : prompt.messages) {
      messages.push_back({{"role", message.role}, {"content", message.content}});
    }
    body["messages"] = std::move(messages);
    std::string text = body.dump();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_OpenAiBodyAsTree);

void BM_OpenAiParseResponse(benchmark::State& state) {
  const auto provider = promptbench::make_provider(openai_provider());
  promptbench::HttpResponse response;
  response.status = 200;
  response.headers.push_back({"content-type", "application/json", false});
  response.body =
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"demo",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"negative"},)"
      R"("finish_reason":"stop"}],"usage":{"prompt_tokens":95,"completion_tokens":1,)"
      R"("total_tokens":96}})";
  response.latency_ms = 12.5;
  for (auto _ : state) {
    auto completion = provider->parse_response(response);
    benchmark::DoNotOptimize(completion);
  }
}
BENCHMARK(BM_OpenAiParseResponse);

void BM_ExactMatchNormalized(benchmark::State& state) {
  promptbench::MetricConfig config;
  config.name = "exact_match";
  config.params = {{"normalize", {"trim", "lower", "strip_punctuation"}}};
  const auto metric = promptbench::make_metric(config);
  const Case row = few_shot_case();
  const std::string output = "  Negative.\n";
  promptbench::Completion completion;
  completion.text = output;
  completion.finish_reason = "stop";
  completion.latency_ms = 12.5;
  const promptbench::ScoreInput input{output, output, row.reference, row.vars, completion};
  for (auto _ : state) {
    auto score = metric->score(input);
    benchmark::DoNotOptimize(score);
  }
}
BENCHMARK(BM_ExactMatchNormalized);

/// Rows read per iteration: one pass over a generated JSONL file of state.range(0) rows.
void BM_ReadJsonlCases(benchmark::State& state) {
  const ScratchDir dir;
  const auto rows = static_cast<std::size_t>(state.range(0));
  const fs::path path = dir.path() / "cases.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < rows; ++i) {
      out << fmt::format(
          R"({{"id":"c{}","text":"Review {}: the soup was cold and the waiter forgot our drinks.","label":"negative"}})"
          "\n",
          i, i);
    }
  }
  promptbench::DatasetConfig config;
  config.path = path;
  config.display_path = "cases.jsonl";
  config.reference = "label";
  config.id = "id";
  for (auto _ : state) {
    promptbench::CaseReader reader(config);
    std::size_t count = 0;
    while (std::optional<Case> row = reader.next()) {
      benchmark::DoNotOptimize(row);
      ++count;
    }
    if (count != rows) {
      state.SkipWithError("wrong row count");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}
BENCHMARK(BM_ReadJsonlCases)->Arg(1000);

/// One finished case of the few-shot prompt, answered and scored.
promptbench::CaseRecord report_case() {
  const Case row = few_shot_case();
  promptbench::CaseResult result;
  result.variant = "fewshot/local";
  result.output = "Negative.";
  result.extracted = "negative";
  result.latency_ms = 12.5;
  result.has_usage = true;
  result.prompt_tokens = 95;
  result.completion_tokens = 1;
  result.attempts = 1;
  result.metric("exact_match").score = 1.0;
  return promptbench::CaseRecord{0, row.id, row.vars, row.reference, {result}};
}

/// One finished case as the runner hands it on, written into the report's spool.
void BM_ReportCaseSerialization(benchmark::State& state) {
  const ScratchDir dir;
  promptbench::ReportWriter writer(dir.path() / "report.json");
  const promptbench::CaseRecord record = report_case();
  for (auto _ : state) {
    writer.add_case(record);
  }
}
BENCHMARK(BM_ReportCaseSerialization);

/// A request of the echo benchmark for case `i`: each differs in its body, so each has its own
/// cache key.
promptbench::HttpRequest journal_request(std::size_t i) {
  promptbench::HttpRequest request;
  request.url = "http://127.0.0.1:8080/v1/chat/completions";
  request.headers = {{"content-type", "application/json"}};
  request.body = fmt::format(
      R"({{"messages":[{{"content":"Repeat this review verbatim: case {} of 20000: the food was )"
      R"(good","role":"user"}}],"model":"bench"}})",
      i);
  return request;
}

/// The journal's work for one window of 16 fresh answers (concurrency 16), on a cache that
/// already holds state.range(0) answers: per answer the key (SHA-256), a lookup that misses
/// and the answer staged; then one commit. Items are answers. The figure to set against the
/// journal's share of a run's CPU per request (docs/BENCHMARKS.md, "The journal").
void BM_JournalWindow(benchmark::State& state) {
  const ScratchDir dir;
  promptbench::ResponseCache cache(dir.path() / "cache.db");
  promptbench::HttpResponse answer;
  answer.status = 200;
  answer.latency_ms = 1.25;
  answer.body = std::string(
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"bench","choices":)"
      R"([{"index":0,"message":{"role":"assistant","content":"Repeat this review verbatim: )"
      R"(case 1 of 20000: the food was good"},"finish_reason":"stop"}],"usage":)"
      R"({"prompt_tokens":10,"completion_tokens":10,"total_tokens":20}})");
  const auto before = static_cast<std::size_t>(state.range(0));
  std::size_t next = 0;
  for (; next < before; ++next) {
    cache.put(promptbench::cache_key(journal_request(next), 0), answer);
    if (cache.staged() == 1000) {
      cache.commit();
    }
  }
  cache.commit();
  constexpr std::size_t kWindow = 16;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kWindow; ++i, ++next) {
      const std::string key = promptbench::cache_key(journal_request(next), 0);
      if (cache.get(key)) {
        state.SkipWithError("a fresh key was found");
        return;
      }
      cache.put(key, answer);
    }
    cache.commit();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kWindow));
}
BENCHMARK(BM_JournalWindow)->Arg(0)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMicrosecond);

}  // namespace
