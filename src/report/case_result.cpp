// SPDX-License-Identifier: Apache-2.0
// The case schema to and from JSON. Writing follows one fixed key order, so a report's
// bytes depend only on its results; reading checks every field it uses, with the field's
// path in the message.
#include "promptbench/case_result.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "report/json_checks.hpp"
#include "util/json_writer.hpp"

namespace promptbench {

using report_checks::expect;
using report_checks::fail;
using report_checks::Json;
using report_checks::optional_field;

MetricOutcome& CaseResult::metric(const std::string& name) {
  for (MetricOutcome& outcome : metrics) {
    if (outcome.name == name) {
      return outcome;
    }
  }
  metrics.push_back(MetricOutcome{name, {}, {}, {}, {}, {}});
  return metrics.back();
}

namespace {

// Reading ------------------------------------------------------------------------------

struct Reader {
  const std::string& report;
  std::string field;

  [[nodiscard]] std::string at(const std::string& key) const { return field + "." + key; }
};

std::optional<std::string> read_text(const Json& object, const char* key, const Reader& r) {
  optional_field(object, key, r.report, r.field, "a string or null",
                 [](const Json& v) { return v.is_string(); });
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? std::nullopt : std::optional(it->get<std::string>());
}

std::optional<std::int64_t> read_count(const Json& object, const char* key, const Reader& r) {
  optional_field(object, key, r.report, r.field, "an integer or null",
                 [](const Json& v) { return v.is_number_integer(); });
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? std::nullopt
                                             : std::optional(it->get<std::int64_t>());
}

int read_small_count(const Json& object, const char* key, const Reader& r, int fallback) {
  optional_field(object, key, r.report, r.field, "a non-negative integer",
                 [](const Json& v) { return v.is_number_integer() && v >= 0 && v <= 1'000'000; });
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? fallback : it->get<int>();
}

const Json* read_object(const Json& object, const char* key, const Reader& r) {
  optional_field(object, key, r.report, r.field, "an object",
                 [](const Json& v) { return v.is_object(); });
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

void read_error(const Json& object, const Reader& r, CaseResult& result) {
  const Json* error = read_object(object, "error", r);
  if (error == nullptr) {
    return;
  }
  const Reader inner{r.report, r.at("error")};
  ResultError out;
  out.kind = read_text(*error, "kind", inner).value_or("");
  out.message = read_text(*error, "message", inner).value_or("");
  out.status = static_cast<int>(read_count(*error, "status", inner).value_or(0));
  result.error = std::move(out);
}

void read_usage(const Json& object, const Reader& r, CaseResult& result) {
  const Json* usage = read_object(object, "usage", r);
  if (usage == nullptr) {
    return;
  }
  const Reader inner{r.report, r.at("usage")};
  result.has_usage = true;
  result.prompt_tokens = read_count(*usage, "prompt_tokens", inner);
  result.completion_tokens = read_count(*usage, "completion_tokens", inner);
}

void read_metric_maps(const Json& object, const Reader& r, CaseResult& result) {
  if (const Json* scores = read_object(object, "scores", r)) {
    for (const auto& [metric, score] : scores->items()) {
      expect(score.is_number() || score.is_null(), score, r.report, r.at("scores." + metric),
             "a number or null");
      MetricOutcome& outcome = result.metric(metric);
      if (score.is_number()) {
        outcome.score = score.get<double>();
      }
    }
  }
  if (const Json* pass = read_object(object, "pass", r)) {
    for (const auto& [metric, flag] : pass->items()) {
      expect(flag.is_boolean(), flag, r.report, r.at("pass." + metric), "a boolean");
      result.metric(metric).pass = flag.get<bool>();
    }
  }
  if (const Json* errors = read_object(object, "score_errors", r)) {
    for (const auto& [metric, message] : errors->items()) {
      result.metric(metric).error =
          message.is_string() ? message.get<std::string>() : message.dump();
    }
  }
  if (const Json* details = read_object(object, "details", r)) {
    for (const auto& [metric, detail] : details->items()) {
      result.metric(metric).detail = detail;
    }
  }
  if (const Json* corpus = read_object(object, "corpus", r)) {
    for (const auto& [metric, numbers] : corpus->items()) {
      const std::string field = r.at("corpus." + metric);
      expect(numbers.is_array(), numbers, r.report, field, "an array of numbers");
      std::vector<double>& sums = result.metric(metric).corpus;
      for (const Json& number : numbers) {
        expect(number.is_number(), number, r.report, field, "an array of numbers");
        sums.push_back(number.get<double>());
      }
    }
  }
}

std::optional<double> read_optional_number(const Json& object, const char* key, const Reader& r) {
  optional_field(object, key, r.report, r.field, "a number or null",
                 [](const Json& v) { return v.is_number(); });
  const auto value = object.find(key);
  if (value == object.end() || !value->is_number()) {
    return std::nullopt;
  }
  return value->get<double>();
}

CaseResult read_result(const Json& object, const Reader& r) {
  expect(object.is_object(), object, r.report, r.field, "an object");
  const auto variant = object.find("variant");
  if (variant == object.end()) {
    fail(r.report, r.field, "missing field \"variant\"");
  }
  expect(variant->is_string(), *variant, r.report, r.at("variant"), "a string");
  CaseResult result;
  result.variant = variant->get<std::string>();
  result.repeat = static_cast<std::size_t>(read_small_count(object, "repeat", r, 0));
  result.output = read_text(object, "output", r);
  result.extracted = read_text(object, "extracted", r);
  optional_field(object, "latency_ms", r.report, r.field, "a number or null",
                 [](const Json& v) { return v.is_number(); });
  if (const auto latency = object.find("latency_ms");
      latency != object.end() && latency->is_number()) {
    result.latency_ms = latency->get<double>();
  }
  optional_field(object, "cached", r.report, r.field, "a boolean",
                 [](const Json& v) { return v.is_boolean(); });
  result.cached = object.value("cached", false);
  read_usage(object, r, result);
  read_error(object, r, result);
  // A report of an older promptbench wrote `attempts` only above 1.
  const int sent = result.cached || (!result.output && !result.error) ? 0 : 1;
  result.attempts = read_small_count(object, "attempts", r, sent);
  result.retries = read_small_count(object, "retries", r, std::max(0, result.attempts - 1));
  result.ttft_ms = read_optional_number(object, "ttft_ms", r);
  result.output_tokens_per_second = read_optional_number(object, "output_tokens_per_second", r);
  optional_field(object, "cost_usd", r.report, r.field, "a number or null",
                 [](const Json& v) { return v.is_number(); });
  if (const auto cost = object.find("cost_usd"); cost != object.end() && cost->is_number()) {
    result.cost_usd = cost->get<double>();
  }
  read_metric_maps(object, r, result);
  return result;
}

}  // namespace

namespace {

/// One per-metric map of a result ("pass", "score_errors", "details", "corpus"), written
/// only when some metric has the entry.
template <typename Has, typename Write>
void write_metric_map(util::JsonWriter& json, const CaseResult& result, const char* key, Has has,
                      Write write) {
  bool open = false;
  for (const MetricOutcome& m : result.metrics) {
    if (!has(m)) {
      continue;
    }
    if (!open) {
      json.key(key);
      json.begin_object();
      open = true;
    }
    json.key(m.name);
    write(m);
  }
  if (open) {
    json.end_object();
  }
}

void write_usage(util::JsonWriter& json, const CaseResult& result) {
  if (!result.has_usage) {
    json.null();
    return;
  }
  json.begin_object();
  json.key("prompt_tokens");
  json.number_or_null(result.prompt_tokens);
  json.key("completion_tokens");
  json.number_or_null(result.completion_tokens);
  json.end_object();
}

void write_error(util::JsonWriter& json, const std::optional<ResultError>& error) {
  if (!error) {
    json.null();
    return;
  }
  json.begin_object();
  json.key("kind");
  json.string(error->kind);
  json.key("message");
  json.string(error->message);
  if (error->status != 0) {
    json.key("status");
    json.number(error->status);
  }
  json.end_object();
}

/// A result, in the schema's key order.
void write_result(util::JsonWriter& json, const CaseResult& result) {
  json.begin_object();
  json.key("variant");
  json.string(result.variant);
  json.key("repeat");
  json.number(static_cast<std::uint64_t>(result.repeat));
  json.key("output");
  json.string_or_null(result.output);
  json.key("extracted");
  json.string_or_null(result.extracted);
  json.key("scores");
  json.begin_object();
  for (const MetricOutcome& m : result.metrics) {
    if (m.score) {
      json.key(m.name);
      json.number(*m.score);
    }
  }
  json.end_object();
  json.key("latency_ms");
  json.number_or_null(result.latency_ms);
  json.key("cached");
  json.boolean(result.cached);
  json.key("usage");
  write_usage(json, result);
  json.key("error");
  write_error(json, result.error);
  json.key("attempts");
  json.number(result.attempts);
  json.key("retries");
  json.number(result.retries);
  for (const auto& [key, value] :
       {std::pair{"cost_usd", &result.cost_usd}, std::pair{"ttft_ms", &result.ttft_ms},
        std::pair{"output_tokens_per_second", &result.output_tokens_per_second}}) {
    if (*value) {
      json.key(key);
      json.number(**value);
    }
  }
  write_metric_map(
      json, result, "pass", [](const MetricOutcome& m) { return m.pass.has_value(); },
      [&json](const MetricOutcome& m) { json.boolean(*m.pass); });
  write_metric_map(
      json, result, "score_errors", [](const MetricOutcome& m) { return m.error.has_value(); },
      [&json](const MetricOutcome& m) { json.string(*m.error); });
  write_metric_map(
      json, result, "details", [](const MetricOutcome& m) { return !m.detail.is_null(); },
      [&json](const MetricOutcome& m) { json.value(m.detail); });
  write_metric_map(
      json, result, "corpus", [](const MetricOutcome& m) { return !m.corpus.empty(); },
      [&json](const MetricOutcome& m) {
        json.begin_array();
        for (const double figure : m.corpus) {
          json.number(figure);
        }
        json.end_array();
      });
  json.end_object();
}

}  // namespace

void append_case_json(std::string& out, const CaseRecord& record) {
  util::JsonWriter json(out);
  json.begin_object();
  json.key("index");
  json.number(static_cast<std::uint64_t>(record.index));
  json.key("id");
  json.string(record.id);
  json.key("vars");
  json.value(record.vars);
  json.key("reference");
  json.value(record.reference);
  json.key("results");
  json.begin_array();
  for (const CaseResult& result : record.results) {
    write_result(json, result);
  }
  json.end_array();
  json.end_object();
}

nlohmann::ordered_json to_json(const CaseRecord& record) {
  // The writer holds the schema; the tree is its line read back (reports, --samples and
  // tests see the very same case).
  std::string line;
  append_case_json(line, record);
  return nlohmann::ordered_json::parse(line);
}

CaseRecord case_from_json(const nlohmann::ordered_json& json, std::size_t position,
                          const std::string& report) {
  const std::string field = fmt::format("cases[{}]", position);
  expect(json.is_object(), json, report, field, "an object");
  CaseRecord record;
  const auto id = json.find("id");
  if (id == json.end()) {
    fail(report, field, "missing field \"id\"");
  }
  expect(id->is_string() || id->is_number_integer(), *id, report, field + ".id",
         "a string or an integer");
  record.id = id->is_string() ? id->get<std::string>() : id->dump();
  optional_field(json, "index", report, field, "a non-negative integer",
                 [](const Json& v) { return v.is_number_unsigned(); });
  const auto index = json.find("index");
  record.index =
      index != json.end() && index->is_number_unsigned() ? index->get<std::size_t>() : position;
  if (const auto vars = json.find("vars"); vars != json.end()) {
    record.vars = *vars;
  }
  if (const auto reference = json.find("reference"); reference != json.end()) {
    record.reference = *reference;
  }
  const auto results = json.find("results");
  if (results == json.end()) {
    fail(report, field, "missing field \"results\"");
  }
  expect(results->is_array(), *results, report, field + ".results", "an array");
  record.results.reserve(results->size());
  for (std::size_t r = 0; r < results->size(); ++r) {
    record.results.push_back(
        read_result((*results)[r], Reader{report, fmt::format("{}.results[{}]", field, r)}));
  }
  return record;
}

}  // namespace promptbench
