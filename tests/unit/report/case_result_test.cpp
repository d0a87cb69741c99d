// SPDX-License-Identifier: Apache-2.0
// The case schema: what eval writes reads back to the same record, and a case of the wrong
// shape is refused naming the field.
#include "promptbench/case_result.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "promptbench/error.hpp"

namespace promptbench {
namespace {

using Json = nlohmann::ordered_json;

/// The case schema as reports have always written it, built as a tree: the bytes
/// append_case_json must keep (reports written before and after must compare and merge).
Json optional_json(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json usage_json(const CaseResult& result) {
  if (!result.has_usage) {
    return nullptr;
  }
  return {{"prompt_tokens", result.prompt_tokens ? Json(*result.prompt_tokens) : Json(nullptr)},
          {"completion_tokens",
           result.completion_tokens ? Json(*result.completion_tokens) : Json(nullptr)}};
}

Json error_json(const std::optional<ResultError>& error) {
  if (!error) {
    return nullptr;
  }
  Json out = {{"kind", error->kind}, {"message", error->message}};
  if (error->status != 0) {
    out["status"] = error->status;
  }
  return out;
}

/// The per-metric maps of a result: {"scores": {...}, "pass": {...}, ...}, each only with
/// the metrics that have the entry ("scores" always present).
void add_metric_maps(const CaseResult& result, Json& out) {
  Json pass = Json::object();
  Json errors = Json::object();
  Json details = Json::object();
  Json corpus = Json::object();
  for (const MetricOutcome& m : result.metrics) {
    if (m.score) {
      out["scores"][m.name] = *m.score;
    }
    if (m.pass) {
      pass[m.name] = *m.pass;
    }
    if (m.error) {
      errors[m.name] = *m.error;
    }
    if (!m.detail.is_null()) {
      details[m.name] = m.detail;
    }
    if (!m.corpus.empty()) {
      corpus[m.name] = m.corpus;
    }
  }
  for (auto& [key, map] : {std::pair{"pass", &pass}, std::pair{"score_errors", &errors},
                           std::pair{"details", &details}, std::pair{"corpus", &corpus}}) {
    if (!map->empty()) {
      out[key] = std::move(*map);
    }
  }
}

Json result_json(const CaseResult& result) {
  Json out = {{"variant", result.variant},
              {"repeat", result.repeat},
              {"output", optional_json(result.output)},
              {"extracted", optional_json(result.extracted)},
              {"scores", Json::object()},
              {"latency_ms", result.latency_ms ? Json(*result.latency_ms) : Json(nullptr)},
              {"cached", result.cached},
              {"usage", usage_json(result)},
              {"error", error_json(result.error)},
              {"attempts", result.attempts},
              {"retries", result.retries}};
  if (result.cost_usd) {
    out["cost_usd"] = *result.cost_usd;
  }
  if (result.ttft_ms) {
    out["ttft_ms"] = *result.ttft_ms;
  }
  if (result.output_tokens_per_second) {
    out["output_tokens_per_second"] = *result.output_tokens_per_second;
  }
  add_metric_maps(result, out);
  return out;
}

Json reference_tree(const CaseRecord& record) {
  Json results = Json::array();
  for (const CaseResult& result : record.results) {
    results.push_back(result_json(result));
  }
  return {{"index", record.index},
          {"id", record.id},
          {"vars", record.vars},
          {"reference", record.reference},
          {"results", std::move(results)}};
}

CaseRecord sample_record() {
  CaseRecord record;
  record.index = 7;
  record.id = "c7";
  record.vars = {{"text", "hello"}};
  record.reference = "hi";
  CaseResult answered;
  answered.variant = "p/s";
  answered.repeat = 1;
  answered.output = "hi there";
  answered.extracted = "hi";
  answered.latency_ms = 12.25;
  answered.ttft_ms = 3.5;
  answered.output_tokens_per_second = 114.3;
  answered.has_usage = true;
  answered.prompt_tokens = 5;
  answered.cost_usd = 0.001;
  answered.attempts = 3;
  answered.retries = 2;
  MetricOutcome& exact = answered.metric("exact_match");
  exact.score = 1;
  exact.pass = true;
  MetricOutcome& bleu = answered.metric("bleu");
  bleu.score = 59.46;
  bleu.corpus = {2, 2, 2, 1, 0, 0, 2, 1, 0, 0};
  MetricOutcome& judge = answered.metric("llm_judge");
  judge.error = "the judge's reply holds no score";
  judge.detail = {{"judge", "grader"}, {"reply", "hmm"}};
  CaseResult failed;
  failed.variant = "q/s";
  failed.error = ResultError{"http_status", "HTTP 500: boom", 500};
  failed.attempts = 1;
  record.results = {answered, failed};
  return record;
}

TEST(CaseResult, ReadsBackWhatItWrites) {
  const Json written = to_json(sample_record());
  EXPECT_EQ(written["index"], 7);
  EXPECT_EQ(written["results"][0]["scores"]["bleu"], 59.46);
  EXPECT_EQ(written["results"][0]["pass"]["exact_match"], true);
  EXPECT_EQ(written["results"][0]["score_errors"]["llm_judge"], "the judge's reply holds no score");
  EXPECT_EQ(written["results"][0]["corpus"]["bleu"].size(), 10u);
  EXPECT_EQ(written["results"][0]["usage"]["completion_tokens"], nullptr);
  EXPECT_EQ(written["results"][1]["usage"], nullptr);
  EXPECT_EQ(written["results"][1]["error"]["status"], 500);
  EXPECT_FALSE(written["results"][1].contains("pass"));
  EXPECT_EQ(written["results"][0]["ttft_ms"], 3.5);
  EXPECT_EQ(written["results"][0]["output_tokens_per_second"], 114.3);
  EXPECT_FALSE(written["results"][1].contains("ttft_ms"));

  const CaseRecord read = case_from_json(Json::parse(written.dump()), 0, "r.json");
  EXPECT_EQ(read.index, 7u);
  EXPECT_EQ(read.results[0].retries, 2);
  EXPECT_EQ(read.results[0].ttft_ms, 3.5);
  EXPECT_EQ(read.results[0].metrics.size(), 3u);
  EXPECT_EQ(to_json(read).dump(), written.dump());
}

std::string tree_text(const CaseRecord& record) {
  return reference_tree(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string written_text(const CaseRecord& record) {
  std::string out;
  append_case_json(out, record);
  return out;
}

TEST(CaseResult, WritesTheTreesBytesWithoutTheTree) {
  EXPECT_EQ(written_text(sample_record()), tree_text(sample_record()));

  CaseRecord bare;  // no results, null vars and reference
  bare.id = "";
  EXPECT_EQ(written_text(bare), tree_text(bare));

  CaseRecord awkward = sample_record();
  awkward.id = "quote\" \t tab \xff bad byte";
  awkward.vars = {{"z", 1.5}, {"a", {{"nested", {1, 2, nullptr}}}}, {"é", "\n"}};
  awkward.reference = nlohmann::json::array({"x", 2});
  CaseResult& first = awkward.results[0];
  first.output = std::string("nul \0 and \x01", 11);
  first.latency_ms = 1e-7;
  first.completion_tokens = -3;
  first.cost_usd = std::nullopt;
  first.metrics.push_back(MetricOutcome{"nan_score", std::nan(""), false, std::nullopt, {}, {}});
  awkward.results[1].error->status = 0;
  awkward.results.push_back(CaseResult{});
  EXPECT_EQ(written_text(awkward), tree_text(awkward));
}

TEST(CaseResult, ReadsReportsOfOlderVersions) {
  // No index, no retries, attempts only above 1, an integer id.
  const Json old = Json::parse(R"({"id": 12, "results": [
      {"variant": "p/s", "output": "x", "scores": {"f1": 0.5, "em": null}, "cached": false},
      {"variant": "p/s", "output": "x", "cached": true},
      {"variant": "p/s", "output": null, "attempts": 4, "error": {"kind": "timeout"}}]})");
  const CaseRecord record = case_from_json(old, 3, "r.json");
  EXPECT_EQ(record.index, 3u);
  EXPECT_EQ(record.id, "12");
  EXPECT_EQ(record.results[0].attempts, 1);
  EXPECT_EQ(record.results[1].attempts, 0);
  EXPECT_EQ(record.results[2].attempts, 4);
  EXPECT_EQ(record.results[2].retries, 3);
  EXPECT_EQ(record.results[0].metrics.size(), 2u);
  EXPECT_FALSE(record.results[0].metrics[1].score);
}

std::string error_of(const std::string& json) {
  try {
    (void)case_from_json(Json::parse(json), 2, "r.json");
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CaseResult, NamesTheFieldOfTheWrongShape) {
  EXPECT_EQ(
      error_of(R"({"id": "a", "results": [{"variant": "v", "usage": {"prompt_tokens": "3"}}]})"),
      "r.json: cases[2].results[0].usage.prompt_tokens: expected an integer or null, got a "
      "string");
  EXPECT_EQ(error_of(R"({"id": "a", "results": [{"variant": "v", "corpus": {"bleu": [1, "x"]}}]})"),
            "r.json: cases[2].results[0].corpus.bleu: expected an array of numbers, got a string");
  EXPECT_EQ(error_of(R"({"id": "a", "index": -1, "results": []})"),
            "r.json: cases[2].index: expected a non-negative integer, got a number");
  EXPECT_EQ(error_of(R"({"id": "a", "results": [{"variant": "v", "attempts": 1.5}]})"),
            "r.json: cases[2].results[0].attempts: expected a non-negative integer, got a number");
}

}  // namespace
}  // namespace promptbench
