// SPDX-License-Identifier: Apache-2.0
// Fuzzes the config loader: the input is a config file, JSON when its first non-blank byte
// is '{' (promptbench.json), YAML otherwise (promptbench.yaml), loaded from a scratch folder
// that also holds the datasets and prompt files the seed configs name, so inputs that parse
// reach the checks behind the parser. A UserError is the expected answer to a bad config;
// any other exception, a crash, or a loaded config that breaks an invariant is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/error.hpp"

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
}

void check_invariants(const promptbench::Config& config, std::string_view input) {
  if (config.providers.empty()) {
    invariant_failed("a config that loads has no providers", input);
  }
  if (config.prompts.empty()) {
    invariant_failed("a config that loads has no prompts", input);
  }
  std::set<std::string> ids;
  for (const promptbench::ProviderConfig* endpoint : promptbench::endpoints(config)) {
    if (endpoint->id.empty() || !ids.insert(endpoint->id).second) {
      invariant_failed("endpoint id '" + endpoint->id + "' empty or not unique", input);
    }
  }
  std::error_code error;
  if (!std::filesystem::exists(config.dataset.path, error)) {
    invariant_failed("a config that loads names a missing dataset", input);
  }
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
