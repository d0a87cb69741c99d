// SPDX-License-Identifier: Apache-2.0
// The scaffold's texts. The dataset is written for the bundled stub's sentiment mode (a tiny
// word lexicon, tests/support/stub/text_model.cpp): every review carries a word of the
// lexicon that agrees with its label, and no prompt's own wording does, so the stub labels
// every case right and the two prompts differ only in the answer's format.
#include "cli/init_files.hpp"

#include <array>

namespace promptbench::cli {

namespace {

// Split in two literals: each stays well under the length -Wpedantic accepts for one.
constexpr std::string_view kConfigHead =
    R"yaml(# promptbench.yaml, written by `promptbench init`: a small evaluation to start from.
#
# Two prompt variants label short reviews as positive or negative; their answers are
# scored against the labels in datasets/cases.jsonl. Check it with `promptbench validate`
# (reads everything, sends nothing) and run it with `promptbench eval`. Paths in this file
# are relative to it.

# The run's name, shown in reports. Defaults to the config file's name.
name: reviews

# Where requests go. Each provider is one endpoint and model; every prompt runs against
# every provider, and each prompt/provider pair is a variant, such as "answer/local".
providers:
  - id: local                 # unique; used in variant ids
    type: openai              # OpenAI chat completions (also vLLM, llama.cpp, Ollama, ...)
    # ${VAR:-default} reads the environment, so PROMPTBENCH_BASE_URL points the run at the
    # bundled stub endpoint (or any other) without editing this file.
    base_url: "${PROMPTBENCH_BASE_URL:-http://127.0.0.1:8080/v1}"
    model: demo
    # The stub needs no key. For a real endpoint, name the environment variable holding
    # the key (keys are never written in this file):
    #   base_url: https://api.openai.com/v1
    #   model: gpt-4o-mini
    #   api_key_env: OPENAI_API_KEY
    params: {temperature: 0, max_tokens: 16}   # merged verbatim into each request body
    timeout: 30s              # per request; also 500ms, 2m, or a number of seconds

# The prompt variants under test. Each has exactly one of `template` (inline text),
# `file` (a Mustache file, relative to this config) or `messages` (a chat conversation).
# {{text}} is replaced by the dataset row's `text` field.
prompts:
  # No output format asked for: the model answers in a sentence ("The sentiment is
  # positive."), so exact_match fails while contains passes. Uncomment the extract line
  # to pull the label out of the sentence before scoring.
  - id: terse
    template: |
      What is the sentiment of this review? Reply positive or negative.

      {{text}}
    # extract: {regex: "(positive|negative)", group: 1}
  # The same question with the answer's format spelled out, kept in its own file.
  - id: answer
    file: prompts/answer.mustache
)yaml";

constexpr std::string_view kConfigTail = R"yaml(
# The labelled cases: one JSON object per line. `reference` names the field holding the
# expected answer, `id` the field holding a stable case id (default: the row number), so
# results stay comparable when rows are added or reordered.
dataset:
  path: datasets/cases.jsonl
  reference: label
  id: id

# How each output is scored against the reference. A metric is a name, or a mapping from
# the name to its parameters; `promptbench metrics` lists them all.
metrics:
  - exact_match: {normalize: [trim, lower, strip_punctuation]}   # "Positive." == "positive"
  - contains                  # the reference occurs anywhere in the output (case-insensitive)
  - latency                   # milliseconds per request, lower is better

# Every variant is compared with the baseline case by case (default: the first variant).
baseline: terse

# Pass/fail rules: a failing gate makes `eval` exit with 1, a CI job's signal. Without
# `variant:` a gate holds every variant -- `terse` would fail this one until its extract
# line is uncommented -- so this one guards the answer prompt only.
gates:
  - {metric: exact_match, min: 0.8, variant: answer/local}
)yaml";

// The config is the two literals joined; built once, at first use.
constexpr std::size_t kConfigSize = kConfigHead.size() + kConfigTail.size();
constexpr std::array<char, kConfigSize> joined_config() {
  std::array<char, kConfigSize> joined{};
  std::size_t at = 0;
  for (const char c : kConfigHead) {
    joined[at++] = c;
  }
  for (const char c : kConfigTail) {
    joined[at++] = c;
  }
  return joined;
}
constexpr std::array<char, kConfigSize> kConfig = joined_config();

constexpr std::string_view kPrompt =
    R"(Classify the sentiment of the customer review below as positive or negative.
Answer with one word: positive or negative.

Review: {{text}}
Sentiment:
)";

constexpr std::string_view kDataset =
    R"({"id": "c01", "text": "The coffee was excellent and the staff remembered my name.", "label": "positive"}
{"id": "c02", "text": "Terrible battery: the phone is flat before lunch.", "label": "negative"}
{"id": "c03", "text": "A wonderful little book that I would recommend to anyone.", "label": "positive"}
{"id": "c04", "text": "The plot was boring and the ending made no sense.", "label": "negative"}
{"id": "c05", "text": "Setup took two minutes and the sound is amazing.", "label": "positive"}
{"id": "c06", "text": "It arrived broken and the replacement part was useless.", "label": "negative"}
{"id": "c07", "text": "We loved the hotel: quiet rooms and a great breakfast.", "label": "positive"}
{"id": "c08", "text": "Slow service, cold soup and a mediocre dessert.", "label": "negative"}
{"id": "c09", "text": "Fun for the whole family, and the kids enjoyed every level.", "label": "positive"}
{"id": "c10", "text": "A disappointing sequel with dull jokes and flat acting.", "label": "negative"}
)";

constexpr std::array<ScaffoldFile, 3> kFiles = {{
    {"promptbench.yaml", std::string_view(kConfig.data(), kConfig.size()),
     "the config: a provider, two prompts, the dataset, metrics and a gate"},
    {"prompts/answer.mustache", kPrompt, "the `answer` prompt"},
    {"datasets/cases.jsonl", kDataset, "10 labelled cases with stable ids"},
}};

}  // namespace

std::span<const ScaffoldFile> scaffold_files() {
  return kFiles;
}

}  // namespace promptbench::cli
