// SPDX-License-Identifier: Apache-2.0
// The metric registry: one line per metric, and make_metric, which looks names up in it.
#include <algorithm>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "util/json_type.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

const MetricInfo* find_metric(const std::string& name) {
  const std::vector<MetricInfo>& registry = metric_registry();
  const auto it = std::find_if(registry.begin(), registry.end(),
                               [&](const MetricInfo& info) { return name == info.name; });
  return it == registry.end() ? nullptr : &*it;
}

[[noreturn]] void throw_unknown_metric(const MetricConfig& config) {
  std::vector<std::string> names;
  for (const MetricInfo& info : metric_registry()) {
    names.emplace_back(info.name);
  }
  throw UserError(
      config.where, config.field,
      fmt::format("unknown metric '{}'{}", config.name, util::did_you_mean(config.name, names)));
}

}  // namespace

const std::vector<MetricInfo>& metric_registry() {
  static const std::vector<MetricInfo> registry = {
      {"exact_match", "1 if the output equals a reference after normalization, else 0",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation|nfkc_casefold or a list "
       "(default [trim])",
       &make_exact_match},
      {"contains", "1 if a non-empty reference occurs in the output after normalization, else 0",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation|nfkc_casefold or a list "
       "(default [lower])",
       &make_contains},
      {"regex", "1 if the RE2 pattern matches anywhere in the output, else 0",
       "pattern: RE2 regular expression (required); negate: true scores 1 on no match",
       &make_regex},
      {"latency", "request latency in milliseconds (lower is better)",
       "threshold: pass when latency <= threshold (no pass flag without one)", &make_latency},
      {"ttft", "time to the first content token of a streamed answer, in ms (lower is better)",
       "threshold: pass when ttft <= threshold (no pass flag without one)", &make_ttft},
      {"starts_with",
       "1 if the output starts with a non-empty reference after normalization, else 0",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation|nfkc_casefold or a list "
       "(default [trim, "
       "lower])",
       &make_starts_with},
      {"f1", "SQuAD v1.1 token F1 (0..1) against the best reference, as evaluate-v1.1.py",
       "none besides name and threshold", &make_f1},
      {"squad_em", "SQuAD v1.1 exact match (1 or 0) after its answer normalization",
       "none besides name and threshold", &make_squad_em},
      {"bleu",
       "sacrebleu sentence BLEU, 0..100 (tokenizer 13a, exp smoothing); corpus BLEU in reports",
       "none besides name and threshold", &make_bleu},
      {"rouge", "ROUGE F-measure (0..1) as rouge-score, no stemming; best over the references",
       "type: rouge1|rouge2|rougeL (default rougeL)", &make_rouge},
      {"levenshtein", "1 - edit distance / longer length, over code points (0..1); best reference",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation|nfkc_casefold or a list "
       "(default [trim])",
       &make_levenshtein},
      {"json_valid", "1 if the output is JSON (or holds a ``` fenced JSON block), else 0",
       "allow_fence: accept a ``` fenced block (default true)", &make_json_valid},
      {"json_schema", "1 if the output's JSON validates against a JSON Schema, else 0",
       "schema: path to a JSON Schema file (required); allow_fence (default true)",
       &make_json_schema},
      {"json_match", "1 if the reference JSON is contained in the output's JSON, else 0",
       "allow_fence: accept a ``` fenced block (default true)", &make_json_match},
      {"numeric", "1 if the output's number equals the reference within tolerance (math.isclose)",
       "pick: first|last (default first); rel_tol (default 1e-9); abs_tol (default 0)",
       &make_numeric},
      {"choice", "1 if the multiple-choice letter in the output is the reference's, else 0",
       "choices: the letters (default ABCDE)", &make_choice},
      {"length", "length of the output in code points or words (lower is better)",
       "unit: chars|words (default chars); min, max: pass within [min, max]; or threshold as max",
       &make_length},
      {"tokens", "completion tokens the endpoint reported (lower is better)",
       "threshold: pass when tokens <= threshold", &make_tokens},
      {"cost",
       "US dollars the response cost: reported usage x the provider's pricing (lower is "
       "better)",
       "threshold: pass when cost <= threshold; needs providers[].pricing", &make_cost},
      {"command",
       "an external scorer: one long-lived process speaking JSON lines (docs/SCORERS.md)",
       "run: the command line, a list or a string split at spaces (required); timeout (default "
       "30s)",
       &make_command},
      {"llm_judge", "a judge model's verdict on the output: a 0..max_score score or pass/fail",
       "judge: a judges[]/providers[] id (required); rubric or rubric_file (Mustache: case "
       "fields, output, raw_output, reference); system; format: score|pass_fail; max_score "
       "(default 10)",
       &make_llm_judge},
  };
  return registry;
}

std::unique_ptr<Metric> make_metric(const MetricConfig& config) {
  const MetricInfo* info = find_metric(config.name);
  if (info == nullptr) {
    throw_unknown_metric(config);
  }
  if (!config.params.is_null() && !config.params.is_object()) {
    throw ParamError("", "expected a mapping of parameters");
  }
  const MetricParams params(config.params);
  const std::string name = params.get_string("name", info->name);
  if (name.empty()) {
    throw ParamError("name", "expected a non-empty string");
  }
  const MetricSpec spec{name, params.get_optional_number("threshold"), params, config.base_dir};
  std::unique_ptr<Metric> metric = info->make(spec);
  if (params.has("higher_is_better")) {
    metric->set_higher_is_better(params.get_bool("higher_is_better", true));
  }
  metric->set_reference_field(metric_reference_field(config));
  return metric;
}

std::string metric_reference_field(const MetricConfig& config) {
  if (!config.params.is_object() || !config.params.contains("reference")) {
    return {};
  }
  // Strictly a string: a field name written as 42 or true is more likely a value meant for
  // somewhere else than a column name, and an empty one names nothing.
  const nlohmann::json& field = config.params.at("reference");
  if (!field.is_string()) {
    throw ParamError("reference", fmt::format("expected a dataset field's name (a string), got {}",
                                              util::json_type_name(field)));
  }
  if (field.get_ref<const std::string&>().empty()) {
    throw ParamError("reference", "expected a dataset field's name, got an empty string");
  }
  return field.get<std::string>();
}

}  // namespace promptbench
