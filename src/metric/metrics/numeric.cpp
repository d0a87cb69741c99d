// SPDX-License-Identifier: Apache-2.0
// numeric: the first (or last) number in the output equals the reference within tolerances,
// as Python's math.isclose decides.
#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/normalize.hpp"
#include "promptbench/error.hpp"

namespace promptbench {

namespace {

constexpr std::string_view kUnicodeMinus = "\xE2\x88\x92";  // U+2212

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ascii_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::size_t digits_from(std::string_view text, std::size_t i) {
  std::size_t end = i;
  while (end < text.size() && is_digit(text[end])) {
    ++end;
  }
  return end - i;
}

struct Found {
  double value = 0;
  std::size_t begin = 0;  ///< including the sign
  std::size_t end = 0;
};

/// Reads the number whose first digit (or its leading '.') is at `start`: an optional sign
/// right before it (only when the sign does not follow a letter, digit or '.', so "3-4" is
/// 3 and 4), digits with optional thousands groups (1,234,567 -- groups of exactly three),
/// an optional fraction and an optional exponent.
std::optional<Found> read_number(std::string_view text, std::size_t start) {
  Found found;
  found.begin = start;
  bool negative = false;
  const auto sign_allowed = [&](std::size_t sign_at) {
    return sign_at == 0 || (!is_ascii_alnum(text[sign_at - 1]) && text[sign_at - 1] != '.');
  };
  if (start >= 1 && (text[start - 1] == '-' || text[start - 1] == '+') && sign_allowed(start - 1)) {
    negative = text[start - 1] == '-';
    found.begin = start - 1;
  } else if (start >= kUnicodeMinus.size() &&
             text.substr(start - kUnicodeMinus.size(), kUnicodeMinus.size()) == kUnicodeMinus &&
             sign_allowed(start - kUnicodeMinus.size())) {
    negative = true;
    found.begin = start - kUnicodeMinus.size();
  }

  std::string digits = negative ? "-" : "";
  std::size_t i = start;
  const std::size_t integer_digits = digits_from(text, i);
  digits.append(text.substr(i, integer_digits));
  i += integer_digits;
  if (integer_digits >= 1 && integer_digits <= 3) {
    while (i + 4 <= text.size() && text[i] == ',' && digits_from(text, i + 1) == 3) {
      digits.append(text.substr(i + 1, 3));
      i += 4;
    }
  }
  if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
    const std::size_t fraction = digits_from(text, i + 1);
    digits.append(text.substr(i, fraction + 1));
    i += fraction + 1;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) {
      ++j;
    }
    if (const std::size_t exponent = digits_from(text, j); exponent > 0) {
      digits.append(text.substr(i, j + exponent - i));
      i = j + exponent;
    }
  }
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), found.value);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;  // out of double's range
  }
  found.end = i;
  return found;
}

/// Every number in `text`, in order.
std::vector<Found> numbers_in(std::string_view text) {
  std::vector<Found> numbers;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool starts =
        is_digit(text[i]) || (text[i] == '.' && i + 1 < text.size() && is_digit(text[i + 1]) &&
                              (i == 0 || !is_digit(text[i - 1])));
    if (!starts) {
      ++i;
      continue;
    }
    const std::optional<Found> found = read_number(text, i);
    if (!found) {
      i += std::max<std::size_t>(1, digits_from(text, i));
      continue;
    }
    numbers.push_back(*found);
    i = found->end;
  }
  return numbers;
}

/// Python's math.isclose.
bool is_close(double a, double b, double rel_tol, double abs_tol) {
  if (a == b) {
    return true;
  }
  if (std::isinf(a) || std::isinf(b)) {
    return false;
  }
  const double diff = std::fabs(b - a);
  return diff <= std::fabs(rel_tol * b) || diff <= std::fabs(rel_tol * a) || diff <= abs_tol;
}

/// The reference as a number: a JSON number, or a string that is exactly one number.
tl::expected<double, std::string> reference_number(const nlohmann::json& reference) {
  if (reference.is_number()) {
    return reference.get<double>();
  }
  const std::string text =
      reference.is_string() ? trim_whitespace(reference.get<std::string>()) : reference.dump();
  const std::vector<Found> numbers = numbers_in(text);
  if (numbers.size() != 1 || numbers[0].begin != 0 || numbers[0].end != text.size()) {
    return tl::unexpected(fmt::format("the reference is not a number: '{}'", text));
  }
  return numbers[0].value;
}

class Numeric : public Metric {
 public:
  Numeric(const MetricSpec& spec, bool last, double rel_tol, double abs_tol)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)),
        m_last(last),
        m_rel_tol(rel_tol),
        m_abs_tol(abs_tol) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    std::vector<nlohmann::json> references;
    if (input.reference.is_array()) {
      references.assign(input.reference.begin(), input.reference.end());
    } else if (!input.reference.is_null()) {
      references.push_back(input.reference);
    }
    if (references.empty()) {
      return tl::unexpected(std::string("the case has no reference"));
    }
    const std::vector<Found> numbers = numbers_in(input.output);
    std::optional<double> value;
    if (!numbers.empty()) {
      value = m_last ? numbers.back().value : numbers.front().value;
    }
    for (const nlohmann::json& reference : references) {
      const tl::expected<double, std::string> expected = reference_number(reference);
      if (!expected) {
        return tl::unexpected(expected.error());
      }
      if (value && is_close(*value, *expected, m_rel_tol, m_abs_tol)) {
        return 1.0;
      }
    }
    return 0.0;
  }

 private:
  bool m_last;
  double m_rel_tol;
  double m_abs_tol;
};

double non_negative(const MetricParams& params, const std::string& key, double fallback) {
  const double value = params.get_number(key, fallback);
  if (!(value >= 0)) {
    throw ParamError(key, fmt::format("expected a number >= 0, got {}", value));
  }
  return value;
}

}  // namespace

std::unique_ptr<Metric> make_numeric(const MetricSpec& spec) {
  spec.params.allow_only({"pick", "rel_tol", "abs_tol"});
  const std::string pick = spec.params.get_string("pick", "first");
  if (pick != "first" && pick != "last") {
    throw ParamError("pick", fmt::format("expected first or last, got '{}'", pick));
  }
  return std::make_unique<Numeric>(spec, pick == "last", non_negative(spec.params, "rel_tol", 1e-9),
                                   non_negative(spec.params, "abs_tol", 0.0));
}

}  // namespace promptbench
