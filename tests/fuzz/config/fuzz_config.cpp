// SPDX-License-Identifier: Apache-2.0
// Fuzzes the config loader: the input is a config file, JSON when its first non-blank byte
// is '{' (promptbench.json), YAML otherwise (promptbench.yaml), loaded from a scratch folder
// that also holds the datasets and prompt files the seed configs name, so inputs that parse
// reach the checks behind the parser. A UserError is the expected answer to a bad config;
// any other exception, a crash, or a loaded config that breaks an invariant is a finding.
// Invariants of a config that loads: every path and reference in it resolves --
//  - it has providers and prompts, with non-empty ids unique among themselves (endpoints:
//    providers and judges together);
//  - the dataset file, a recorded provider's outputs file and a prompt file exist, and a
//    prompt from a file holds the file's text;
//  - every metric builds through the registry (its rubric or schema file is there, its
//    parameters are right), and report names are unique;
//  - an llm_judge's `judge:` names an endpoint; a gate names a metric of the config and no
//    variant or one of its variants; `baseline:` is empty, a variant or a prompt id;
//  - dataset.split's shares add up to 1, and holdout.max_looks has a split to guard.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "provider/providers/recorded.hpp"

namespace {

using promptbench::fuzz::invariant_failed;
using promptbench::fuzz::scratch_dir;
using promptbench::fuzz::write_scratch_file;

// The files the seed configs refer to, so a config that parses is checked to the end.
void make_referenced_files() {
  std::filesystem::create_directories(scratch_dir() / "datasets");
  std::filesystem::create_directories(scratch_dir() / "prompts");
  const std::string rows =
      "{\"id\": \"1\", \"question\": \"2+2?\", \"answer\": \"4\", \"text\": \"good\", "
      "\"label\": \"positive\", \"reference\": \"4\", \"keywords\": [\"4\"], "
      "\"population\": 4}\n";
  write_scratch_file("data.jsonl", rows);
  write_scratch_file("datasets/qa.jsonl", rows);
  write_scratch_file("datasets/sentiment.jsonl", rows);
  write_scratch_file("datasets/facts.jsonl", rows);
  write_scratch_file("data.json", "[" + rows + "]");
  write_scratch_file("data.csv", "id,question,answer\n1,2+2?,4\n");
  write_scratch_file("prompts/fewshot.mustache", "Review: {{text}}\nSentiment:");
  write_scratch_file("prompts/p.mustache", "Q: {{question}}");
  std::filesystem::create_directories(scratch_dir() / "rubrics");
  write_scratch_file("rubrics/grade.mustache",
                     "Expected {{reference}}, got {{output}}. Score 0-10:");
  write_scratch_file("schema.json", "{\"type\": \"object\", \"required\": [\"label\"]}");
  write_scratch_file("outputs.jsonl", "{\"id\": \"1\", \"output\": \"4\"}\n");
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void check_unique_ids(const promptbench::Config& config, std::string_view input) {
  std::set<std::string> ids;
  for (const promptbench::ProviderConfig* endpoint : promptbench::endpoints(config)) {
    if (endpoint->id.empty() || !ids.insert(endpoint->id).second) {
      invariant_failed("endpoint id '" + endpoint->id + "' empty or not unique", input);
    }
  }
  ids.clear();
  for (const promptbench::PromptConfig& prompt : config.prompts) {
    if (prompt.id.empty() || !ids.insert(prompt.id).second) {
      invariant_failed("prompt id '" + prompt.id + "' empty or not unique", input);
    }
  }
}

void check_files(const promptbench::Config& config, std::string_view input) {
  std::error_code error;
  if (!std::filesystem::exists(config.dataset.path, error)) {  // a folder fails when opened
    invariant_failed("a config that loads names a missing dataset", input);
  }
  for (const promptbench::ProviderConfig& provider : config.providers) {
    if (provider.type == promptbench::providers::kRecordedType &&
        !std::filesystem::is_regular_file(promptbench::providers::recorded_file(provider).path,
                                          error)) {
      invariant_failed("recorded provider '" + provider.id + "' names a missing outputs file",
                       input);
    }
  }
  for (const promptbench::PromptConfig& prompt : config.prompts) {
    const promptbench::SourceLocation& from = prompt.text_where;
    if (!prompt.messages.empty() || from.line != 1 || from.column != 1) {
      continue;  // not from a file
    }
    const std::filesystem::path path = std::filesystem::path(from.file).is_absolute()
                                           ? std::filesystem::path(from.file)
                                           : config.base_dir / from.file;
    if (!std::filesystem::is_regular_file(path, error) || file_text(path) != prompt.text) {
      invariant_failed("prompt '" + prompt.id + "' does not hold its file " + from.file, input);
    }
  }
}

void check_references(const promptbench::Config& config, std::string_view input) {
  std::vector<std::string> endpoint_ids;
  for (const promptbench::ProviderConfig* endpoint : promptbench::endpoints(config)) {
    endpoint_ids.push_back(endpoint->id);
  }
  const std::vector<std::string> names = promptbench::metric_report_names(config);
  if (std::set<std::string>(names.begin(), names.end()).size() != names.size()) {
    invariant_failed("two metrics share a report name", input);
  }
  for (const promptbench::MetricConfig& metric : config.metrics) {
    try {
      (void)promptbench::make_metric(metric);
    } catch (const std::exception& e) {
      invariant_failed("metric " + metric.field + " of a loaded config does not build: " + e.what(),
                       input);
    }
    if (metric.name == "llm_judge" &&
        !listed(endpoint_ids, metric.params.value("judge", std::string()))) {
      invariant_failed("llm_judge " + metric.field + " names no judge or provider", input);
    }
  }
  const std::vector<std::string> variants = promptbench::variant_ids(config);
  for (const promptbench::GateConfig& gate : config.gates) {
    if (!listed(names, gate.metric)) {
      invariant_failed("gate " + gate.field + " names no metric of the config", input);
    }
    if (!gate.variant.empty() && !listed(variants, gate.variant)) {
      invariant_failed("gate " + gate.field + " names no variant of the config", input);
    }
  }
  if (!config.baseline.empty() && !listed(variants, config.baseline) &&
      std::none_of(config.prompts.begin(), config.prompts.end(),
                   [&](const promptbench::PromptConfig& p) { return p.id == config.baseline; })) {
    invariant_failed("baseline '" + config.baseline + "' is neither a variant nor a prompt", input);
  }
}

/// Splits by hash have shares in (0, 1] adding up to 1 (a split field has none); a holdout
/// guard has a split to guard.
void check_split(const promptbench::Config& config, std::string_view input) {
  const promptbench::SplitConfig& split = config.dataset.split;
  if (split.field.empty() && split.configured()) {
    const bool share_ok = [&] {
      for (const double share : {split.dev, split.test}) {
        if (!(share >= 0 && share <= 1)) {
          return false;
        }
      }
      return std::fabs(split.dev + split.test - 1) <= 1e-9;
    }();
    if (!share_ok) {
      invariant_failed("dataset.split shares outside [0, 1] or not adding up to 1", input);
    }
  }
  if (config.holdout.max_looks && (!split.configured() || *config.holdout.max_looks < 1)) {
    invariant_failed("holdout.max_looks without a split, or below 1", input);
  }
}

void check_invariants(const promptbench::Config& config, std::string_view input) {
  if (config.providers.empty()) {
    invariant_failed("a config that loads has no providers", input);
  }
  if (config.prompts.empty()) {
    invariant_failed("a config that loads has no prompts", input);
  }
  check_unique_ids(config, input);
  check_files(config, input);
  check_references(config, input);
  check_split(config, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = (make_referenced_files(), true);
  (void)ready;
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const std::size_t first = input.find_first_not_of(" \t\r\n");
  const bool json = first != std::string_view::npos && input[first] == '{';
  const std::filesystem::path path =
      write_scratch_file(json ? "promptbench.json" : "promptbench.yaml", input);
  try {
    const promptbench::Config config = promptbench::load_config(path);
    check_invariants(config, input);
  } catch (const promptbench::UserError&) {
    // The documented answer to a bad config.
  } catch (const std::exception& e) {
    invariant_failed(std::string("load_config threw ") + typeid(e).name() + ": " + e.what(), input);
  }
  return 0;
}
