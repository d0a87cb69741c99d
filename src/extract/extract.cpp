// SPDX-License-Identifier: Apache-2.0
// The extraction pipeline: regexes and JSON pointers are compiled once, then applied per output.
#include "promptbench/extract.hpp"

#include <optional>
#include <vector>

#include <fmt/format.h>
#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "metric/normalize.hpp"
#include "util/json_pointer.hpp"

namespace promptbench {

namespace {

/// Bounds the search for an embedded JSON block: each candidate costs a scan of the rest of
/// the text, so an output full of stray brackets must not try them all.
constexpr int kMaxJsonCandidates = 32;

struct CompiledStep {
  ExtractStep config;
  std::unique_ptr<RE2> regex;
  nlohmann::json::json_pointer pointer;
};

std::unique_ptr<RE2> compile_regex(const ExtractStep& step) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the UserError instead of stderr
  auto regex = std::make_unique<RE2>(step.pattern, options);
  if (!regex->ok()) {
    throw UserError(step.where, "extract.regex", "invalid regular expression: " + regex->error());
  }
  const int groups = regex->NumberOfCapturingGroups();
  if (step.group < 0 || step.group > groups) {
    throw UserError(step.where, "extract.group",
                    fmt::format("group {} does not exist: the pattern has {} capturing group{}",
                                step.group, groups, groups == 1 ? "" : "s"));
  }
  return regex;
}

nlohmann::json::json_pointer compile_pointer(const ExtractStep& step) {
  std::optional<nlohmann::json::json_pointer> pointer = util::parse_pointer(step.pattern);
  if (!pointer) {
    throw UserError(step.where, "extract.json_pointer",
                    fmt::format("invalid JSON pointer '{}'", step.pattern));
  }
  return std::move(*pointer);
}

CompiledStep compile(const ExtractStep& step) {
  CompiledStep compiled{step, nullptr, nlohmann::json::json_pointer()};
  if (step.kind == ExtractStep::Kind::regex) {
    compiled.regex = compile_regex(step);
  } else if (step.kind == ExtractStep::Kind::json_pointer) {
    compiled.pointer = compile_pointer(step);
  }
  return compiled;
}

/// The offset after the character at `offset`: past any UTF-8 continuation bytes, so that
/// stepping over an empty match never lands inside a character (nor skips a whole one).
std::size_t next_character(const std::string& text, std::size_t offset) {
  ++offset;
  while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
    ++offset;
  }
  return offset;
}

std::string apply_regex(const RE2& regex, int group, bool last, const std::string& text) {
  const re2::StringPiece input(text);
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(regex.NumberOfCapturingGroups()) +
                                       1);
  const int count = static_cast<int>(groups.size());
  std::optional<re2::StringPiece> found;
  std::size_t start = 0;
  while (start <= text.size() &&
         regex.Match(input, start, text.size(), RE2::UNANCHORED, groups.data(), count)) {
    found = groups[static_cast<std::size_t>(group)];
    if (!last) {
      break;
    }
    const auto match_end = static_cast<std::size_t>(groups[0].end() - input.begin());
    if (!groups[0].empty()) {
      start = match_end;
    } else if (match_end < text.size()) {
      start = next_character(text, match_end);
    } else {
      break;
    }
  }
  // An optional group that did not take part in the match is empty (null data).
  return found && found->data() != nullptr ? std::string(found->data(), found->size()) : "";
}

/// End (one past) of the JSON array or object that starts at `begin`, balancing brackets
/// outside strings; npos when it never closes.
std::size_t balanced_end(const std::string& text, std::size_t begin) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string::npos;
}

/// The text as JSON, or else the first {...} or [...] block in it that parses -- models
/// like to wrap JSON in prose or a ```json fence.
std::optional<nlohmann::json> parse_json(const std::string& text) {
  nlohmann::json whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded()) {
    return whole;
  }
  std::size_t begin = text.find_first_of("{[");
  for (int tries = 0; begin != std::string::npos && tries < kMaxJsonCandidates; ++tries) {
    const std::size_t end = balanced_end(text, begin);
    if (end != std::string::npos) {
      nlohmann::json block = nlohmann::json::parse(text.substr(begin, end - begin), nullptr, false);
      if (!block.is_discarded()) {
        return block;
      }
    }
    begin = text.find_first_of("{[", begin + 1);
  }
  return std::nullopt;
}

tl::expected<std::string, std::string> apply_pointer(const nlohmann::json::json_pointer& pointer,
                                                     const std::string& text) {
  const std::optional<nlohmann::json> document = parse_json(text);
  if (!document) {
    return tl::unexpected(std::string("output is not JSON"));
  }
  const nlohmann::json* value = util::find_pointer(*document, pointer);
  if (value == nullptr) {
    return std::string();  // absent: scored as an empty output
  }
  if (value->is_string()) {
    return value->get<std::string>();
  }
  return value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

tl::expected<std::string, std::string> apply_step(const CompiledStep& step,
                                                  const std::string& text) {
  switch (step.config.kind) {
    case ExtractStep::Kind::regex:
      return apply_regex(*step.regex, step.config.group, step.config.last, text);
    case ExtractStep::Kind::json_pointer:
      return apply_pointer(step.pointer, text);
    case ExtractStep::Kind::trim:
      return trim_whitespace(text);
    case ExtractStep::Kind::first_line:
      return first_line(text);
  }
  return text;
}

}  // namespace

struct Extractor::Impl {
  std::vector<CompiledStep> steps;
};

Extractor::Extractor(const ExtractConfig& steps) : m_impl(std::make_unique<Impl>()) {
  for (const ExtractStep& step : steps) {
    m_impl->steps.push_back(compile(step));
  }
}

Extractor::~Extractor() = default;
Extractor::Extractor(Extractor&&) noexcept = default;
Extractor& Extractor::operator=(Extractor&&) noexcept = default;

tl::expected<std::string, std::string> Extractor::apply(const std::string& text) const {
  std::string current = text;
  if (!m_impl) {  // moved from
    return current;
  }
  for (const CompiledStep& step : m_impl->steps) {
    tl::expected<std::string, std::string> next = apply_step(step, current);
    if (!next) {
      return next;
    }
    current = std::move(*next);
  }
  return current;
}

bool Extractor::empty() const {
  return m_impl == nullptr || m_impl->steps.empty();
}

}  // namespace promptbench
