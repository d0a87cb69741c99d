// SPDX-License-Identifier: Apache-2.0
// Config file -> checked Config. Reads the document, walks it field by field with located
// errors, then checks cross-references (unique ids, gates naming metrics).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "config/document.hpp"
#include "config/field.hpp"
#include "config/provider_entry.hpp"
#include "config/split_entry.hpp"
#include "promptbench/config.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/redact.hpp"
#include "util/json_pointer.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

using config::Field;
using config::read_provider;

/// How to name a file the config refers to in messages: as seen from where the user is,
/// i.e. through the config's folder as the user gave it ("examples/data.jsonl").
std::string shown_path(const std::filesystem::path& config_path, const std::string& written) {
  const std::filesystem::path path(written);
  if (path.is_absolute() || config_path.parent_path().empty()) {
    return written;
  }
  return (config_path.parent_path() / path).lexically_normal().string();
}

ExtractStep read_extract_step_kind(const Field& field, ExtractStep::Kind kind) {
  ExtractStep step;
  step.kind = kind;
  step.where = field.where();
  return step;
}

/// One mapping: its steps in a fixed order (json_pointer, first_line, regex, trim).
void read_extract_mapping(const Field& field, ExtractConfig& steps) {
  field.expect_object({"regex", "group", "match", "json_pointer", "trim", "first_line"});
  if (auto pointer = field.find("json_pointer")) {
    ExtractStep step = read_extract_step_kind(*pointer, ExtractStep::Kind::json_pointer);
    step.pattern = pointer->as_string();
    if (!step.pattern.empty() && step.pattern[0] != '/') {
      pointer->fail("a JSON pointer starts with '/', e.g. /answer");
    }
    steps.push_back(step);
  }
  if (auto first_line = field.find("first_line"); first_line && first_line->as_bool()) {
    steps.push_back(read_extract_step_kind(*first_line, ExtractStep::Kind::first_line));
  }
  if (auto regex = field.find("regex")) {
    ExtractStep step = read_extract_step_kind(*regex, ExtractStep::Kind::regex);
    step.pattern = regex->as_nonempty_string();
    if (auto group = field.find("group")) {
      step.group = group->as_int(0, 99);
    }
    if (auto match = field.find("match")) {
      const std::string which = match->as_string();
      if (which != "first" && which != "last") {
        match->fail(fmt::format("expected first or last, got '{}'", which));
      }
      step.last = which == "last";
    }
    steps.push_back(step);
  } else if (field.has("group") || field.has("match")) {
    field.fail_at_key(field.has("group") ? "group" : "match", "only applies to 'regex'");
  }
  if (auto trim = field.find("trim"); trim && trim->as_bool()) {
    steps.push_back(read_extract_step_kind(*trim, ExtractStep::Kind::trim));
  }
}

ExtractConfig read_extract(const Field& field) {
  ExtractConfig steps;
  if (field.is_array()) {
    for (const Field& item : field.items()) {
      read_extract_mapping(item, steps);
    }
  } else {
    read_extract_mapping(field, steps);
  }
  return steps;
}

MessageTemplate read_message(const Field& field) {
  field.expect_object({"role", "content"});
  MessageTemplate message;
  const Field role = field.require("role");
  message.role = role.as_nonempty_string();
  if (message.role != "system" && message.role != "user" && message.role != "assistant") {
    role.fail(fmt::format("expected system, user or assistant, got '{}'", message.role));
  }
  const Field content = field.require("content");
  message.content = content.as_string();
  message.where = content.where();
  return message;
}

PromptConfig read_prompt(const Field& field, const std::filesystem::path& base_dir,
                         const std::filesystem::path& config_path) {
  field.expect_object({"id", "template", "file", "messages", "extract", "params"});
  PromptConfig prompt;
  prompt.where = field.where();
  prompt.id = field.require("id").as_nonempty_string();
  const int sources =
      int(field.has("template")) + int(field.has("file")) + int(field.has("messages"));
  if (sources != 1) {
    field.fail("a prompt needs exactly one of 'template', 'file' or 'messages'");
  }
  if (auto text = field.find("template")) {
    prompt.text = text->as_string();
    prompt.text_where = text->where();
  } else if (auto file = field.find("file")) {
    const std::string relative = file->as_nonempty_string();
    const std::filesystem::path path = base_dir / relative;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
      file->fail(fmt::format("prompt file '{}' not found", relative));
    }
    const std::string shown = shown_path(config_path, relative);
    prompt.text = config::read_config_text(path, shown);
    config::check_utf8(shown, prompt.text);
    prompt.text_where = SourceLocation{shown, 1, 1};
  } else {
    const Field messages = field.require("messages");
    for (const Field& item : messages.items()) {
      prompt.messages.push_back(read_message(item));
    }
    if (prompt.messages.empty()) {
      messages.fail("needs at least one message");
    }
  }
  if (auto extract = field.find("extract")) {
    prompt.extract = read_extract(*extract);
  }
  if (auto params = field.find("params")) {
    params->expect_mapping();
    prompt.params = params->value();
  }
  return prompt;
}

DatasetConfig read_dataset(const Field& field, const std::filesystem::path& base_dir,
                           const std::filesystem::path& config_path) {
  DatasetConfig dataset;
  dataset.where = field.where();
  if (field.is_string()) {  // shorthand: `dataset: path.jsonl`
    dataset.display_path = field.as_nonempty_string();
  } else {
    field.expect_object(
        {"path", "reference", "id", "format", "max_row_bytes", "split", "split_field"});
    dataset.display_path = field.require("path").as_nonempty_string();
    if (auto reference = field.find("reference")) {
      dataset.reference = reference->as_nonempty_string();
    }
    if (auto id = field.find("id")) {
      dataset.id = id->as_nonempty_string();
    }
    if (auto format = field.find("format")) {
      dataset.format = format->as_nonempty_string();
      if (dataset.format != "jsonl" && dataset.format != "json" && dataset.format != "csv") {
        format->fail(fmt::format("expected jsonl, json or csv, got '{}'", dataset.format));
      }
    }
    if (auto size = field.find("max_row_bytes")) {
      dataset.max_row_bytes = size->as_byte_size();
    }
    dataset.split = config::read_split(field);
  }
  dataset.path = base_dir / dataset.display_path;
  std::error_code error;
  if (!std::filesystem::exists(dataset.path, error)) {
    (field.is_string() ? field : field.require("path"))
        .fail(fmt::format("dataset file '{}' not found", dataset.display_path));
  }
  dataset.display_path = shown_path(config_path, dataset.display_path);
  return dataset;
}

MetricConfig read_metric(const Field& field, const std::filesystem::path& base_dir) {
  MetricConfig metric;
  metric.base_dir = base_dir;
  metric.field = field.path();
  metric.where = field.where();
  if (field.is_string()) {
    metric.name = field.as_nonempty_string();
  } else if (field.is_object() && field.value().size() == 1) {
    const auto members = field.members();
    const auto& [name, params] = members.front();
    metric.name = name;
    metric.where = field.document().where_key(params.pointer());
    if (!params.is_null()) {
      params.expect_mapping();  // the metric checks its own keys (check_metric)
    }
    if (params.is_object()) {
      metric.params = params.value();
    }
  } else {
    field.fail("expected a metric name or a mapping {name: {parameters}}");
  }
  return metric;
}

/// Creates each metric once to check its parameters; a ParamError is located here.
void check_metric(const Field& field, const MetricConfig& metric) {
  try {
    (void)make_metric(metric);
  } catch (const ParamError& e) {
    const Field params = field.is_object() ? field.members().front().second : field;
    if (!e.key().empty() && params.has(e.key())) {
      throw UserError(params.document().where_key(util::pointer_append(params.pointer(), e.key())),
                      params.path() + "." + e.key(), e.what());
    }
    throw UserError(metric.where, metric.field, e.what());
  }
}

/// The cost metric prices every answer, so every provider needs a price table.
void check_pricing(const Config& config) {
  for (const MetricConfig& metric : config.metrics) {
    if (metric.name != "cost") {
      continue;
    }
    for (const ProviderConfig& provider : config.providers) {
      if (!provider.pricing) {
        throw UserError(metric.where, metric.field,
                        fmt::format("the cost metric needs 'pricing: {{prompt, completion}}' (USD "
                                    "per million tokens) on provider '{}' ({})",
                                    provider.id, provider.field));
      }
    }
  }
}

/// `max_errors: 10` or `max_errors: 5%` (YAML gives the percentage as a string).
Allowance read_allowance(const Field& field) {
  const nlohmann::json& value = field.value();
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  const std::optional<Allowance> allowance =
      value.is_string() || value.is_number() ? parse_allowance(text) : std::nullopt;
  if (!allowance) {
    field.fail(fmt::format("expected {}, got {}", kAllowanceForms,
                           value.is_string() ? "'" + text + "'" : text));
  }
  return *allowance;
}

/// A gate's `slice:`: `each`, `{FIELD: each}` or `{FIELD: VALUE}`, FIELD one of `slices:`.
/// Whether VALUE occurs in the data is the pre-flight's to say.
GateSlice read_gate_slice(const Field& field, const SliceConfig& slices) {
  if (slices.fields.empty()) {
    field.fail("a gate's slice needs 'slices:' in the config (the dataset fields to slice by)");
  }
  if (field.is_string()) {
    if (field.as_string() != "each") {
      field.fail(fmt::format("expected 'each' or a mapping like {{{}: VALUE}}, got '{}'",
                             slices.fields.front(), field.as_string()));
    }
    return GateSlice{"", "", true};
  }
  if (!field.is_object() || field.members().size() != 1) {
    field.fail(
        fmt::format("expected 'each' or a mapping of one slice field to a value, like "
                    "{{{}: VALUE}}",
                    slices.fields.front()));
  }
  const auto members = field.members();
  const std::string& name = members.front().first;
  const Field& value = members.front().second;
  if (std::find(slices.fields.begin(), slices.fields.end(), name) == slices.fields.end()) {
    field.fail_at_key(
        name, fmt::format("'{}' is not among 'slices' ({}){}", name, fmt::join(slices.fields, ", "),
                          util::did_you_mean(name, slices.fields)));
  }
  const std::optional<std::string> text = slice_text(value.value());
  if (!text) {
    value.fail("expected a slice value (a string, number or boolean) or 'each'");
  }
  return *text == "each" ? GateSlice{name, "", true} : GateSlice{name, *text, false};
}

/// `slices: [language, topic]` (dataset fields) and `slice_min_cases: 30`.
void read_slices(const Field& root, Config& config) {
  if (auto slices = root.find("slices")) {
    config.slices.where = slices->where();
    for (const Field& item : slices->items()) {
      std::string name = item.as_nonempty_string();
      if (std::find(config.slices.fields.begin(), config.slices.fields.end(), name) !=
          config.slices.fields.end()) {
        item.fail(fmt::format("slice field '{}' is listed twice", name));
      }
      config.slices.fields.push_back(std::move(name));
    }
  }
  if (auto min_cases = root.find("slice_min_cases")) {
    config.slices.min_cases = static_cast<std::size_t>(min_cases->as_int(1, 1'000'000'000));
  }
}

GateConfig read_gate(const Field& field, const SliceConfig& slices) {
  field.expect_object({"metric", "min", "max", "variant", "on", "max_unscored", "slice"});
  GateConfig gate;
  gate.field = field.path();
  gate.where = field.where();
  gate.metric = field.require("metric").as_nonempty_string();
  if (auto min = field.find("min")) {
    gate.min = min->as_number();
  }
  if (auto max = field.find("max")) {
    gate.max = max->as_number();
  }
  if (!gate.min && !gate.max) {
    field.fail("a gate needs 'min' or 'max'");
  }
  if (gate.min && gate.max && *gate.min > *gate.max) {
    field.require("min").fail(
        fmt::format("{} is greater than max {}; no value can pass", *gate.min, *gate.max));
  }
  if (auto variant = field.find("variant")) {
    gate.variant = variant->as_nonempty_string();
  }
  if (auto on = field.find("on")) {
    const std::string basis = on->as_string();
    if (basis != "mean" && basis != "ci_low") {
      on->fail(fmt::format("expected mean or ci_low, got '{}'{}", basis,
                           util::did_you_mean(basis, {"mean", "ci_low"})));
    }
    gate.on = basis == "ci_low" ? GateOn::ci_low : GateOn::mean;
  }
  if (auto unscored = field.find("max_unscored")) {
    gate.max_unscored = read_allowance(*unscored);
  }
  if (auto slice = field.find("slice")) {
    gate.slice = read_gate_slice(*slice, slices);
  }
  return gate;
}

/// A reference to a variant (`baseline:`, a gate's `variant:`) must name one; `baseline`
/// may also name a prompt.
void check_variant_reference(const Field& field, const Config& config, bool prompt_allowed) {
  const std::string id = field.as_nonempty_string();
  std::vector<std::string> known = variant_ids(config);
  if (std::find(known.begin(), known.end(), id) != known.end()) {
    return;
  }
  for (const auto& prompt : config.prompts) {
    if (prompt_allowed && prompt.id == id) {
      return;
    }
    if (prompt_allowed) {
      known.push_back(prompt.id);
    }
  }
  const std::string suggestion = closest_match(id, known);
  const char* what = prompt_allowed ? "variant or prompt" : "variant";
  field.fail(suggestion.empty()
                 ? fmt::format("'{}' names no {} (variants are prompt/provider pairs, e.g. '{}')",
                               id, what, known.front())
                 : fmt::format("'{}' names no {} (did you mean '{}'?)", id, what, suggestion));
}

/// `judges:` are providers that only judge (llm_judge); their ids share one namespace with
/// the providers' ids.
void read_judges(const Field& judges, Config& config) {
  std::set<std::string> ids;
  for (const auto& provider : config.providers) {
    ids.insert(provider.id);
  }
  for (const Field& item : judges.items()) {
    config.judges.push_back(read_provider(item));
    if (!ids.insert(config.judges.back().id).second) {
      throw UserError(item.where(), item.path(),
                      fmt::format("duplicate provider id '{}' (judges and providers share ids)",
                                  config.judges.back().id));
    }
  }
}

/// Each llm_judge's `judge:` names a judge or a provider.
void check_judge_references(const Field& metrics, const Config& config) {
  std::vector<std::string> ids;
  for (const ProviderConfig* endpoint : endpoints(config)) {
    ids.push_back(endpoint->id);
  }
  const auto fields = metrics.items();
  for (std::size_t i = 0; i < config.metrics.size(); ++i) {
    const MetricConfig& metric = config.metrics[i];
    if (metric.name != "llm_judge") {
      continue;
    }
    const std::string judge = metric.params.value("judge", "");
    if (std::find(ids.begin(), ids.end(), judge) != ids.end()) {
      continue;
    }
    const Field params = fields[i].members().front().second;
    throw UserError(params.document().where_key(util::pointer_append(params.pointer(), "judge")),
                    params.path() + ".judge",
                    fmt::format("'{}' names no entry of judges or providers{}", judge,
                                util::did_you_mean(judge, ids)));
  }
}

template <typename Item, typename Id>
void check_unique_ids(const Field& list, const std::vector<Item>& items, Id id_of,
                      const char* what) {
  std::set<std::string> seen;
  const auto fields = list.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(id_of(items[i])).second) {
      throw UserError(fields[i].where(), fields[i].path(),
                      fmt::format("duplicate {} '{}'", what, id_of(items[i])));
    }
  }
}

void read_sections(const Field& root, Config& config) {
  root.expect_object({"name", "description", "providers", "judges", "prompts", "dataset", "extract",
                      "metrics", "gates", "concurrency", "baseline", "repeat", "alpha",
                      "min_effect", "max_errors", "slices", "slice_min_cases", "holdout"});
  read_slices(root, config);
  if (auto name = root.find("name")) {
    config.name = name->as_string();
  }
  if (auto description = root.find("description")) {
    (void)description->as_string();
  }
  const Field providers = root.require("providers");
  for (const Field& item : providers.items()) {
    config.providers.push_back(read_provider(item));
  }
  if (config.providers.empty()) {
    providers.fail("needs at least one provider");
  }
  check_unique_ids(
      providers, config.providers, [](const auto& p) { return p.id; }, "provider id");
  if (auto judges = root.find("judges")) {
    read_judges(*judges, config);
  }

  const Field prompts = root.require("prompts");
  for (const Field& item : prompts.items()) {
    config.prompts.push_back(read_prompt(item, config.base_dir, config.path));
  }
  if (config.prompts.empty()) {
    prompts.fail("needs at least one prompt");
  }
  check_unique_ids(
      prompts, config.prompts, [](const auto& p) { return p.id; }, "prompt id");

  config.dataset = read_dataset(root.require("dataset"), config.base_dir, config.path);
  if (auto extract = root.find("extract")) {
    config.extract = read_extract(*extract);
  }

  if (auto metrics = root.find("metrics")) {
    for (const Field& item : metrics->items()) {
      config.metrics.push_back(read_metric(item, config.base_dir));
      check_metric(item, config.metrics.back());
    }
    check_unique_ids(*metrics, config.metrics, metric_report_name, "metric name");
    check_pricing(config);
    check_judge_references(*metrics, config);
    // The dataset reader checks every row for the fields metrics take their reference from.
    for (const MetricConfig& metric : config.metrics) {
      if (std::string field = metric_reference_field(metric); !field.empty()) {
        config.dataset.metric_references.push_back({metric_report_name(metric), std::move(field)});
      }
    }
  } else {
    MetricConfig exact_match;
    exact_match.name = "exact_match";
    exact_match.field = "metrics";
    exact_match.base_dir = config.base_dir;
    config.metrics.push_back(std::move(exact_match));
  }

  if (auto gates = root.find("gates")) {
    for (const Field& item : gates->items()) {
      config.gates.push_back(read_gate(item, config.slices));
      const GateConfig& gate = config.gates.back();
      const bool known =
          std::any_of(config.metrics.begin(), config.metrics.end(),
                      [&](const auto& m) { return metric_report_name(m) == gate.metric; });
      if (!known) {
        item.require("metric").fail(
            fmt::format("gate names metric '{}', which is not in 'metrics'{}", gate.metric,
                        util::did_you_mean(gate.metric, metric_report_names(config))));
      }
      if (!gate.variant.empty()) {
        check_variant_reference(item.require("variant"), config, false);
      }
    }
  }
  if (auto baseline = root.find("baseline")) {
    check_variant_reference(*baseline, config, true);
    config.baseline = baseline->as_nonempty_string();
    config.baseline_where = baseline->where();
  }
  if (auto repeat = root.find("repeat")) {
    config.repeat = repeat->as_int(1, kMaxRepeat);
  }
  if (auto alpha = root.find("alpha")) {
    config.alpha = alpha->as_number();
    if (!(config.alpha > 0 && config.alpha < 1)) {
      alpha->fail(fmt::format("expected a significance level between 0 and 1 (exclusive), got {}",
                              config.alpha));
    }
  }
  if (auto min_effect = root.find("min_effect")) {
    config.min_effect = min_effect->as_number();
    if (!(config.min_effect >= 0) || !std::isfinite(config.min_effect)) {
      min_effect->fail(
          fmt::format("expected a difference of 0 or more, got {}", config.min_effect));
    }
  }
  if (auto concurrency = root.find("concurrency")) {
    config.concurrency = concurrency->as_int(1, 65536);
  }
  if (auto max_errors = root.find("max_errors")) {
    config.max_errors = read_allowance(*max_errors);
  }
  if (auto holdout = root.find("holdout")) {
    config.holdout = config::read_holdout(*holdout, config.dataset.split);
  }
}

/// Every endpoint's API key is a secret from the moment the config is known, so that even
/// an error before the first request cannot print it.
void register_api_keys(const Config& config) {
  for (const ProviderConfig* endpoint : endpoints(config)) {
    if (endpoint->api_key_env.empty()) {
      continue;
    }
    if (const char* key = std::getenv(endpoint->api_key_env.c_str()); key != nullptr) {
      add_secret(key);
    }
  }
}

}  // namespace

std::size_t Allowance::of(std::size_t total) const {
  if (!percent) {
    return count;
  }
  return static_cast<std::size_t>(*percent / 100.0 * static_cast<double>(total));
}

std::optional<Allowance> parse_allowance(const std::string& text) {
  const bool is_percent = !text.empty() && text.back() == '%';
  const std::string number = is_percent ? text.substr(0, text.size() - 1) : text;
  const bool digits_only =
      !number.empty() && number.find_first_not_of("0123456789") == std::string::npos;
  const bool decimal = !number.empty() && number.front() != '.' && number.back() != '.' &&
                       number.find_first_not_of("0123456789.") == std::string::npos &&
                       std::count(number.begin(), number.end(), '.') <= 1;
  if (!(is_percent ? decimal : digits_only) || number.size() > 15) {
    return std::nullopt;
  }
  Allowance allowance;
  const double value = std::stod(number);
  if (is_percent) {
    if (value > 100) {
      return std::nullopt;
    }
    allowance.percent = value;
  } else {
    allowance.count = static_cast<std::size_t>(value);
  }
  return allowance;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  constexpr double kMaxDurationMs = 1e12;  // the limit config.hpp documents
  std::size_t end = 0;
  double amount = 0;
  try {
    amount = std::stod(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (amount < 0 || !std::isfinite(amount) || end == 0) {
    return std::nullopt;
  }
  const std::string unit = text.substr(end);
  double factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m" || unit == "min") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    return std::nullopt;
  }
  // Longer than kMaxDurationMs is refused rather than wrapped: llround of a value beyond
  // long long (found by fuzzing: "510055105510055100" came back negative), or a deadline
  // computed in nanoseconds from it, would overflow.
  const double milliseconds = amount * factor;
  if (milliseconds > kMaxDurationMs) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(milliseconds)));
}

std::filesystem::path find_default_config(const std::filesystem::path& dir) {
  for (const char* name : {"promptbench.yaml", "promptbench.yml", "promptbench.json"}) {
    std::error_code error;
    if (std::filesystem::is_regular_file(dir / name, error)) {
      return dir / name;
    }
  }
  throw UserError(
      "no config given and no promptbench.yaml, promptbench.yml or promptbench.json here");
}

ProviderConfig provider_for_prompt(const ProviderConfig& provider, const PromptConfig& prompt) {
  ProviderConfig merged = provider;
  if (!prompt.params.empty()) {
    merged.params.merge_patch(prompt.params);
  }
  return merged;
}

std::vector<const ProviderConfig*> endpoints(const Config& config) {
  std::vector<const ProviderConfig*> all;
  for (const auto* list : {&config.providers, &config.judges}) {
    for (const auto& provider : *list) {
      all.push_back(&provider);
    }
  }
  return all;
}

Config load_config(const std::filesystem::path& path) {
  const std::string display = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw UserError(SourceLocation{display}, "", "config file not found");
  }
  const config::LocatedDocument doc = config::load_document(path, display);
  const Field root = Field::root(doc);
  if (!root.is_object()) {
    root.fail(
        fmt::format("expected a mapping at the top level, got {}", config::type_name(doc.root)));
  }
  Config config;
  config.path = path;
  config.base_dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  config.sha256 = util::sha256_file(path);
  read_sections(root, config);
  if (config.name.empty()) {
    config.name = path.stem().string();
  }
  register_api_keys(config);
  return config;
}

}  // namespace promptbench
