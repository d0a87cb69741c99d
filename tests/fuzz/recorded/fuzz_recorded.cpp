// SPDX-License-Identifier: Apache-2.0
// Fuzzes the `recorded` provider's outputs file reader (RecordedOutputs::read): the input is
// the JSON Lines file. A UserError is the expected answer to a bad file; any other exception,
// a crash or a broken invariant is a finding. Invariants:
//  - an error is located in the file: its name, and a line of the input;
//  - a file that reads gives lines in file order, each with a non-empty case id and its own
//    line number, and each line is found again by its own key: looking up its case with its
//    prompt and repeat (or, where it names none, a prompt and a repeat no line names) gives
//    exactly that line;
//  - completion_of() carries the line's output, usage and times.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/error.hpp"
#include "provider/providers/recorded.hpp"

namespace {

using promptbench::fuzz::invariant_failed;
using promptbench::providers::RecordedOutput;
using promptbench::providers::RecordedOutputs;

constexpr const char* kFile = "outputs.jsonl";

std::size_t line_count(std::string_view text) {
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

void check_lines(const RecordedOutputs& outputs, std::string_view input) {
  std::set<std::string> prompts;
  std::size_t unused_repeat = 0;
  for (const RecordedOutput& line : outputs.lines()) {
    if (line.prompt) {
      prompts.insert(*line.prompt);
    }
    if (line.repeat) {
      unused_repeat = std::max(unused_repeat, *line.repeat + 1);
    }
  }
  std::string unused_prompt = "none";
  while (prompts.count(unused_prompt) != 0) {
    unused_prompt += '_';
  }
  std::size_t previous_line = 0;
  for (const RecordedOutput& line : outputs.lines()) {
    if (line.case_id.empty()) {
      invariant_failed("a recorded line has an empty case id", input);
    }
    if (line.where.file != kFile || line.where.line <= previous_line ||
        line.where.line > line_count(input)) {
      invariant_failed(
          "a recorded line is out of order or placed outside the file: " + line.where.to_string(),
          input);
    }
    previous_line = line.where.line;
    const RecordedOutput* found = outputs.find(line.case_id, line.prompt.value_or(unused_prompt),
                                               line.repeat.value_or(unused_repeat));
    if (found != &line) {
      invariant_failed("line " + std::to_string(line.where.line) + " (case '" + line.case_id +
                           "') is not found again by its own key",
                       input);
    }
    const promptbench::Completion completion = promptbench::providers::completion_of(line);
    if (completion.text != line.output ||
        completion.usage.prompt_tokens != line.usage.prompt_tokens ||
        completion.usage.completion_tokens != line.usage.completion_tokens ||
        completion.latency_ms != line.latency_ms.value_or(0) ||
        completion.ttft_ms != line.ttft_ms) {
      invariant_failed("completion_of() does not carry the line", input);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  try {
    const RecordedOutputs outputs =
        RecordedOutputs::read(std::make_unique<std::istringstream>(std::string(input)), kFile);
    check_lines(outputs, input);
  } catch (const promptbench::UserError& e) {
    // The documented answer to a bad file: located at a line of it.
    if (e.where().file != kFile || e.where().line == 0 || e.where().line > line_count(input)) {
      invariant_failed(std::string("an outputs file error is not located in the file: ") + e.what(),
                       input);
    }
  } catch (const std::exception& e) {
    invariant_failed(
        std::string("reading the outputs file threw ") + typeid(e).name() + ": " + e.what(), input);
  }
  return 0;
}
