// SPDX-License-Identifier: Apache-2.0
// choice: the multiple-choice letter the output gives, compared with the reference letter.
//
// The letter is taken by the first of these rules that finds one (letters are those of
// `choices`, default ABCDE; "uppercase" below means the output wrote it in capitals):
//  1. bare: the whole output, without surrounding whitespace and ()[]{}*_.:,;!?"'`#, is one
//     letter, either case: "B", "(b)", "**C**.", "D)".
//  2. answer phrase: the last "answer" followed by optional ":", "=", "-", "is", "would be",
//     "will be", "should be", "must be", then optional "(", "[", "*", "option"/"choice",
//     then the letter: "Answer: B", "The answer is (C).", "final answer is option d".
//     The same with "option"/"choice" as the keyword when no "answer" phrase has one
//     ("Option B", "choice: c"). A lowercase letter here counts only before punctuation or
//     the end ("the answer is b." yes, "the answer is a bit" no); an uppercase one before
//     anything but a letter or digit.
//  3. label: the output starts with the letter and ")", "]", "." or ":" then whitespace or
//     the end, optionally after "(" or "[": "B) Paris", "(c) 42", "D. None".
//  4. standalone: exactly one distinct uppercase letter that stands alone (no letter or
//     digit on either side), not counting an "A" followed by whitespace and a lowercase word
//     other than is/was/seems/would (the article: "A cat" does not answer A, "A is right"
//     does). Two different standalone letters are ambiguous: no answer.
// No answer scores 0. The reference goes through rule 1; one that is not a letter of
// `choices` is an error on the case.
#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

class ChoiceReader {
 public:
  explicit ChoiceReader(std::string letters) : m_letters(std::move(letters)) {}

  [[nodiscard]] std::optional<char> read(std::string_view text) const {
    if (auto letter = bare(text)) {
      return letter;
    }
    if (auto letter = after_keywords(text, {"answer"})) {
      return letter;
    }
    if (auto letter = after_keywords(text, {"option", "choice"})) {
      return letter;
    }
    if (auto letter = label(text)) {
      return letter;
    }
    return standalone(text);
  }

  /// Rule 1 only.
  [[nodiscard]] std::optional<char> bare(std::string_view text) const {
    constexpr std::string_view kWrapping = "()[]{}*_.:,;!?\"'`#";
    const auto strip = [&](char c) { return is_space(c) || kWrapping.find(c) != kWrapping.npos; };
    while (!text.empty() && strip(text.front())) {
      text.remove_prefix(1);
    }
    while (!text.empty() && strip(text.back())) {
      text.remove_suffix(1);
    }
    if (text.size() == 1 && is_letter(text[0])) {
      return upper(text[0]);
    }
    return std::nullopt;
  }

 private:
  [[nodiscard]] bool is_letter(char c) const {
    return is_alnum(c) && m_letters.find(upper(c)) != std::string::npos;
  }

  /// Rule 2 for one set of keywords: the letter after the occurrence that starts last.
  [[nodiscard]] std::optional<char> after_keywords(
      std::string_view text, std::initializer_list<std::string_view> keywords) const {
    std::string folded(text);
    std::transform(folded.begin(), folded.end(), folded.begin(), lower);
    std::optional<char> letter;
    std::size_t letter_at = 0;
    for (const std::string_view keyword : keywords) {
      for (std::size_t at = folded.find(keyword); at != std::string::npos;
           at = folded.find(keyword, at + 1)) {
        if (at > 0 && is_alnum(folded[at - 1])) {
          continue;  // "reanswer"
        }
        if (auto candidate = letter_after(text, folded, at + keyword.size());
            candidate && (!letter || at > letter_at)) {
          letter = candidate;
          letter_at = at;
        }
      }
    }
    return letter;
  }

  [[nodiscard]] std::optional<char> letter_after(std::string_view text, const std::string& folded,
                                                 std::size_t i) const {
    const auto skip_spaces = [&] {
      while (i < folded.size() && is_space(folded[i])) {
        ++i;
      }
    };
    const auto skip_word = [&](std::string_view word) {
      if (folded.compare(i, word.size(), word) == 0 &&
          (i + word.size() == folded.size() || !is_alnum(folded[i + word.size()]))) {
        i += word.size();
        skip_spaces();
        return true;
      }
      return false;
    };
    const auto skip_chars = [&](std::string_view chars) {
      while (i < folded.size() && (chars.find(folded[i]) != chars.npos || is_space(folded[i]))) {
        ++i;
      }
    };
    if (i < folded.size() && folded[i] == 's') {
      ++i;  // "answers", "options"
    }
    skip_spaces();
    skip_chars(":=-");
    if (!skip_word("is")) {
      for (const std::string_view verb : {"would", "will", "should", "must"}) {
        if (skip_word(verb)) {
          skip_word("be");
          break;
        }
      }
    }
    skip_chars(":=-([*");
    if (skip_word("option") || skip_word("choice")) {
      skip_chars(":=-([*");
    }
    if (i >= text.size() || !is_letter(text[i])) {
      return std::nullopt;
    }
    const char letter = text[i];
    const bool at_end = i + 1 == text.size();
    const char next = at_end ? '\0' : text[i + 1];
    const bool accepted =
        std::isupper(static_cast<unsigned char>(letter)) != 0
            ? at_end || !is_alnum(next)
            : at_end || std::string_view(".,;:!?)]*").find(next) != std::string_view::npos;
    return accepted ? std::optional<char>(upper(letter)) : std::nullopt;
  }

  /// Rule 3.
  [[nodiscard]] std::optional<char> label(std::string_view text) const {
    std::size_t i = 0;
    while (i < text.size() && (is_space(text[i]) || text[i] == '*' || text[i] == '#')) {
      ++i;
    }
    if (i < text.size() && (text[i] == '(' || text[i] == '[')) {
      ++i;
    }
    if (i + 1 >= text.size() || !is_letter(text[i]) ||
        std::string_view(")].:").find(text[i + 1]) == std::string_view::npos) {
      return std::nullopt;
    }
    if (i + 2 < text.size() && !is_space(text[i + 2]) && text[i + 2] != '*') {
      return std::nullopt;
    }
    return upper(text[i]);
  }

  /// Rule 4.
  [[nodiscard]] std::optional<char> standalone(std::string_view text) const {
    std::optional<char> found;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (std::isupper(static_cast<unsigned char>(c)) == 0 || !is_letter(c) ||
          (i > 0 && is_alnum(text[i - 1])) || (i + 1 < text.size() && is_alnum(text[i + 1]))) {
        continue;
      }
      if (c == 'A' && is_article(text, i + 1)) {
        continue;
      }
      if (found && *found != c) {
        return std::nullopt;
      }
      found = c;
    }
    return found;
  }

  static bool is_article(std::string_view text, std::size_t i) {
    if (i >= text.size() || !is_space(text[i])) {
      return false;
    }
    while (i < text.size() && is_space(text[i])) {
      ++i;
    }
    std::size_t end = i;
    while (end < text.size() && is_alnum(text[end])) {
      ++end;
    }
    const std::string_view word = text.substr(i, end - i);
    if (word.empty() || std::islower(static_cast<unsigned char>(word[0])) == 0) {
      return false;
    }
    return word != "is" && word != "was" && word != "seems" && word != "would";
  }

  std::string m_letters;
};

class Choice : public Metric {
 public:
  Choice(const MetricSpec& spec, std::string letters)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)),
        m_letters(letters),
        m_reader(std::move(letters)) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::vector<std::string> references = reference_strings(input.reference);
    if (references.empty()) {
      return tl::unexpected(std::string("the case has no reference"));
    }
    const std::optional<char> answer = m_reader.read(input.output);
    for (const std::string& reference : references) {
      const std::optional<char> expected = m_reader.bare(reference);
      if (!expected) {
        return tl::unexpected(
            fmt::format("the reference '{}' is not one of the choices {}", reference, m_letters));
      }
      if (answer == expected) {
        return 1.0;
      }
    }
    return 0.0;
  }

 private:
  std::string m_letters;
  ChoiceReader m_reader;
};

}  // namespace

std::unique_ptr<Metric> make_choice(const MetricSpec& spec) {
  spec.params.allow_only({"choices"});
  std::string letters = spec.params.get_string("choices", "ABCDE");
  if (letters.empty()) {
    throw ParamError("choices", "expected at least one letter");
  }
  for (char& c : letters) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      throw ParamError("choices", fmt::format("expected letters A-Z only, got '{}'", letters));
    }
    c = upper(c);
  }
  return std::make_unique<Choice>(spec, letters);
}

}  // namespace promptbench
