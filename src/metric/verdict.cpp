// SPDX-License-Identifier: Apache-2.0
// Verdict parsers for llm_judge (see verdict.hpp for the accepted shapes).
#include "metric/verdict.hpp"

#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <re2/re2.h>

#include "metric/json_output.hpp"
#include "metric/normalize.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

constexpr std::size_t kQuoted = 160;

std::string quoted(std::string_view reply) {
  std::string text(reply.substr(0, kQuoted));
  if (reply.size() > kQuoted) {
    text += "...";
  }
  return text;
}

/// Every match of `pattern`'s groups in `text`; returns the last one's groups.
template <typename... Groups>
bool last_match(std::string_view text, const RE2& pattern, Groups*... groups) {
  re2::StringPiece input(text.data(), text.size());
  bool found = false;
  std::tuple<Groups...> last;
  std::tuple<Groups...> current;
  while (std::apply([&](auto&... g) { return RE2::FindAndConsume(&input, pattern, &g...); },
                    current)) {
    last = current;
    found = true;
  }
  if (found) {
    std::apply([&](const auto&... g) { ((*groups = g), ...); }, last);
  }
  return found;
}

std::optional<double> to_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    return used == text.size() && std::isfinite(value) ? std::optional(value) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct FoundScore {
  double value = 0;
  std::optional<double> scale;  ///< the denominator of "7/10"
};

std::optional<FoundScore> json_score(std::string_view reply) {
  const std::optional<nlohmann::json> parsed = parse_json_output(reply, true);
  if (!parsed || !parsed->is_object()) {
    return std::nullopt;
  }
  for (const char* key : {"score", "rating"}) {
    if (const auto it = parsed->find(key); it != parsed->end() && it->is_number()) {
      return FoundScore{it->get<double>(), std::nullopt};
    }
  }
  return std::nullopt;
}

std::optional<FoundScore> pattern_score(std::string_view reply, const RE2& pattern) {
  std::string value;
  std::string scale;
  if (!last_match(reply, pattern, &value, &scale)) {
    return std::nullopt;
  }
  const auto number = to_number(value);
  if (!number) {
    return std::nullopt;
  }
  return FoundScore{*number, scale.empty() ? std::nullopt : to_number(scale)};
}

std::optional<FoundScore> find_score(std::string_view reply) {
  static const RE2 labelled(
      R"((?i)\b(?:score|rating|grade)\b[^0-9\n]{0,12}?(-?\d+(?:\.\d+)?)(?:\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?))?)");
  static const RE2 fraction(R"((-?\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?))");
  if (auto found = json_score(reply)) {
    return found;
  }
  if (auto found = pattern_score(reply, labelled)) {
    return found;
  }
  if (auto found = pattern_score(reply, fraction)) {
    return found;
  }
  std::string bare = trim_whitespace(reply);
  if (!bare.empty() && bare.back() == '.') {
    bare.pop_back();
  }
  if (const auto number = to_number(bare)) {
    return FoundScore{*number, std::nullopt};
  }
  return std::nullopt;
}

/// pass/passed/yes/correct -> true, fail/failed/no/incorrect -> false.
std::optional<bool> polarity(std::string_view text) {
  const std::string word = util::lower(text);
  for (const char* yes : {"pass", "passed", "passes", "yes", "correct", "true"}) {
    if (word == yes) {
      return true;
    }
  }
  for (const char* no : {"fail", "failed", "fails", "no", "incorrect", "false"}) {
    if (word == no) {
      return false;
    }
  }
  return std::nullopt;
}

std::optional<bool> json_pass(std::string_view reply) {
  const std::optional<nlohmann::json> parsed = parse_json_output(reply, true);
  if (!parsed || !parsed->is_object()) {
    return std::nullopt;
  }
  if (const auto it = parsed->find("pass"); it != parsed->end() && it->is_boolean()) {
    return it->get<bool>();
  }
  for (const char* key : {"verdict", "result"}) {
    if (const auto it = parsed->find(key); it != parsed->end() && it->is_string()) {
      return polarity(it->get<std::string>());
    }
  }
  return std::nullopt;
}

}  // namespace

tl::expected<double, std::string> parse_score_verdict(std::string_view reply, double max_score) {
  const std::optional<FoundScore> found = find_score(reply);
  if (!found) {
    return tl::unexpected(fmt::format("the judge's reply holds no score: '{}'", quoted(reply)));
  }
  double value = found->value;
  if (found->scale && *found->scale > 0 && *found->scale != max_score) {
    value = value / *found->scale * max_score;
  }
  if (value < 0 || value > max_score) {
    return tl::unexpected(fmt::format("the judge's score {} is outside 0..{}: '{}'", value,
                                      max_score, quoted(reply)));
  }
  return value;
}

tl::expected<bool, std::string> parse_pass_fail_verdict(std::string_view reply) {
  static const RE2 labelled(
      R"((?i)\b(?:verdict|result|answer|grade|decision)\b\W{0,6}(pass(?:ed|es)?|fail(?:ed|s)?|yes|no|correct|incorrect)\b)");
  static const RE2 words(R"((?i)\b(pass(?:ed|es)?|fail(?:ed|s)?)\b)");
  if (const auto verdict = json_pass(reply)) {
    return *verdict;
  }
  std::string word;
  if (last_match(reply, labelled, &word)) {
    return *polarity(word);
  }
  re2::StringPiece input(reply.data(), reply.size());
  bool passes = false;
  bool fails = false;
  while (RE2::FindAndConsume(&input, words, &word)) {
    (*polarity(word) ? passes : fails) = true;
  }
  if (passes != fails) {
    return passes;
  }
  if (passes && fails) {
    return tl::unexpected(fmt::format(
        "the judge's reply says both pass and fail without a 'Verdict:': '{}'", quoted(reply)));
  }
  std::string bare = trim_whitespace(reply);
  while (!bare.empty() && (bare.back() == '.' || bare.back() == '!')) {
    bare.pop_back();
  }
  if (const auto verdict = polarity(bare)) {
    return *verdict;
  }
  return tl::unexpected(
      fmt::format("the judge's reply holds no pass/fail verdict: '{}'", quoted(reply)));
}

}  // namespace promptbench
