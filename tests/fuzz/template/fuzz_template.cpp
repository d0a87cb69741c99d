// SPDX-License-Identifier: Apache-2.0
// Fuzzes prompt templates: the input's first byte picks how the template arrives (a prompt
// file, an inline YAML scalar, or a system and a user message split at the first NUL byte),
// the rest is its Mustache source. A template that compiles is rendered against fixed sets of
// case variables. A UserError is the expected answer to a bad template or a case without a
// variable; any other exception, a crash, or a broken invariant is a finding. Invariants:
//  - rendering is deterministic, and a second compile of the same source renders the same;
//  - no HTML escaping: values holding < > & " ' come out as they are, so a template without
//    '&' never renders an entity (&lt; &amp; ...);
//  - nothing of the implementation leaks out: no \x01 (the mark put on variable names) in
//    the text unless the template holds one;
//  - a template without "{{" renders to itself whatever the case;
//  - only variables the template names matter: removing a field the source never mentions
//    changes neither the text nor success;
//  - a missing-variable error names a variable the source holds and the case lacks;
//  - an error in a prompt file is located inside the file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "fuzz_support.hpp"
#include "promptbench/error.hpp"
#include "promptbench/prompt.hpp"

namespace {

using nlohmann::json;
using promptbench::fuzz::invariant_failed;

constexpr const char* kFile = "prompts/fuzz.mustache";

/// The case variables templates are rendered against: no fields, then two sets of every
/// kind of value (strings holding HTML's special characters and a tag, numbers, booleans,
/// null, lists, nested objects).
const std::vector<json>& variable_sets() {
  static const std::vector<json> sets = {json::object(),
                                         {{"question", "2+2? <b>&\"'</b>"},
                                          {"text", "a & b < c > d"},
                                          {"a", "x"},
                                          {"n", 7},
                                          {"flag", true},
                                          {"off", false},
                                          {"none", nullptr},
                                          {"list", {"p", "q"}},
                                          {"items", {{{"name", "n1"}}, {{"name", "n2"}}}},
                                          {"obj", {{"a", "inner"}, {"b", {{"c", "deep"}}}}},
                                          {"tag", "{{a}}"},
                                          {"empty", ""}},
                                         {{"question", "Q"},
                                          {"text", ""},
                                          {"a", 0},
                                          {"n", -1.5},
                                          {"flag", false},
                                          {"off", true},
                                          {"none", "set"},
                                          {"list", json::array()},
                                          {"items", {{{"name", "<i>&"}}}},
                                          {"obj", "flat"},
                                          {"tag", "}}"},
                                          {"empty", json::object()}}};
  return sets;
}

promptbench::PromptConfig make_prompt(std::uint8_t mode, std::string_view source) {
  promptbench::PromptConfig prompt;
  prompt.id = "fuzz";
  switch (mode % 3) {
    case 0:  // a prompt file: offsets map to file:line:col
      prompt.text = std::string(source);
      prompt.text_where = {kFile, 1, 1};
      break;
    case 1:  // an inline scalar of promptbench.yaml
      prompt.text = std::string(source);
      prompt.text_where = {"promptbench.yaml", 7, 11};
      break;
    default: {  // messages: system, then user after the first NUL byte
      const std::size_t split = source.find('\0');
      prompt.messages.push_back(
          {"system", std::string(source.substr(0, split)), {"promptbench.yaml", 9, 16}});
      prompt.messages.push_back(
          {"user",
           split == std::string_view::npos ? std::string() : std::string(source.substr(split + 1)),
           {"promptbench.yaml", 10, 16}});
      break;
    }
  }
  return prompt;
}

/// A render's outcome: the messages' text, or the error's message.
struct Outcome {
  bool ok = false;
  std::string text;  ///< "role\x02content\x03..." or the UserError's what()
  std::optional<promptbench::SourceLocation> where;
};

Outcome render(const promptbench::PromptTemplate& compiled, const json& vars) {
  promptbench::Case row;
  row.id = "c1";
  row.vars = vars;
  row.where = {"data.jsonl", 3, 0};
  Outcome outcome;
  try {
    const promptbench::RenderedPrompt rendered = compiled.render(row);
    outcome.ok = true;
    for (const promptbench::ChatMessage& message : rendered.messages) {
      outcome.text += message.role + '\x02' + message.content + '\x03';
    }
  } catch (const promptbench::UserError& e) {
    outcome.text = e.what();
    outcome.where = e.where();
  }
  return outcome;
}

bool same(const Outcome& a, const Outcome& b) {
  return a.ok == b.ok && a.text == b.text;
}

/// The variable named by "... has no variable 'NAME'..." in a render error, if it is one.
std::optional<std::string> missing_variable(const std::string& message) {
  constexpr std::string_view kMarker = "has no variable '";
  const std::size_t at = message.find(kMarker);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const std::size_t start = at + kMarker.size();
  // The name is followed by "'" and then the end or " (did you mean ...)"; names may hold
  // quotes themselves, so the last candidate quote wins.
  const std::size_t hint = message.find("' (did you mean", start);
  const std::size_t end = hint != std::string::npos ? hint : message.rfind('\'');
  if (end == std::string::npos || end < start) {
    return std::nullopt;
  }
  return message.substr(start, end - start);
}

bool mentions_entity(const std::string& text) {
  for (const char* entity : {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#"}) {
    if (text.find(entity) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void check_rendered(const Outcome& outcome, const json& vars, std::string_view source,
                    std::string_view input) {
  if (!outcome.ok) {
    if (const auto name = missing_variable(outcome.text)) {
      if (source.find(*name) == std::string_view::npos) {
        invariant_failed("the missing variable '" + *name + "' is not in the template", input);
      }
      if (name->find('.') == std::string::npos && vars.contains(*name)) {
        invariant_failed("the case's field '" + *name + "' is reported missing", input);
      }
    }
    return;
  }
  if (source.find('\x01') == std::string_view::npos &&
      outcome.text.find('\x01') != std::string::npos) {
    invariant_failed("the rendered text holds the variable mark \\x01", input);
  }
  if (source.find('&') == std::string_view::npos && mentions_entity(outcome.text)) {
    invariant_failed("the rendered text holds an HTML entity: " + outcome.text, input);
  }
}

/// The source's messages' text, as render() would give it for a template without tags.
std::string literal_text(const promptbench::PromptConfig& prompt) {
  if (prompt.messages.empty()) {
    return "user\x02" + prompt.text + '\x03';
  }
  std::string text;
  for (const auto& message : prompt.messages) {
    text += message.role + '\x02' + message.content + '\x03';
  }
  return text;
}

void check_fields_that_matter(const promptbench::PromptTemplate& compiled, const json& vars,
                              const Outcome& full, std::string_view source,
                              std::string_view input) {
  for (const auto& [key, value] : vars.items()) {
    if (source.find(key) != std::string_view::npos) {
      continue;
    }
    json fewer = vars;
    fewer.erase(key);
    const Outcome without = render(compiled, fewer);
    // A missing-variable error may suggest the removed field, so only its kind is compared.
    if (without.ok != full.ok || (full.ok && without.text != full.text)) {
      invariant_failed("removing field '" + key +
                           "', which the template never names, changed "
                           "the rendering",
                       input);
    }
  }
}

void check_template(const promptbench::PromptConfig& prompt, std::string_view source,
                    std::string_view input) {
  const promptbench::PromptTemplate compiled(prompt);
  const promptbench::PromptTemplate again(prompt);
  const bool no_tags = source.find("{{") == std::string_view::npos;
  for (const json& vars : variable_sets()) {
    const Outcome first = render(compiled, vars);
    if (!same(first, render(compiled, vars)) || !same(first, render(again, vars))) {
      invariant_failed("rendering the same case twice gave different results", input);
    }
    check_rendered(first, vars, source, input);
    if (no_tags && (!first.ok || first.text != literal_text(prompt))) {
      invariant_failed("a template without tags did not render to itself: " + first.text, input);
    }
    if (&vars == &variable_sets()[1]) {  // one full set is enough, and keeps runs fast
      check_fields_that_matter(compiled, vars, first, source, input);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const std::string_view source = input.substr(1);
  const promptbench::PromptConfig prompt = make_prompt(data[0], source);
  try {
    check_template(prompt, source, input);
  } catch (const promptbench::UserError& e) {
    // The documented answer to a bad template; a prompt file's error lies inside the file.
    const auto& where = e.where();
    if (data[0] % 3 == 0 && where.file == kFile &&
        where.line > 1 + static_cast<std::size_t>(std::count(source.begin(), source.end(), '\n'))) {
      invariant_failed("a template error is located past the file's end: " + where.to_string(),
                       input);
    }
  } catch (const std::exception& e) {
    invariant_failed(std::string("the template threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}
