// SPDX-License-Identifier: Apache-2.0
// Plain-worded option validators. They parse the text themselves (std::from_chars), so a
// value that is not a number at all gets the same sentence as one out of range, and the
// CLI11 conversion that follows cannot fail.
#include "cli/option_checks.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace promptbench::cli {

namespace {

template <typename Number>
bool parse_exactly(const std::string& text, Number& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && stop == end;
}

std::string range_words(long long min, long long max) {
  if (max == std::numeric_limits<long long>::max()) {
    return fmt::format("of at least {}", min);
  }
  return fmt::format("from {} to {}", min, max);
}

}  // namespace

CLI::Validator whole_number(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& text) {
        long long value = 0;
        if (parse_exactly(text, value) && value >= min && value <= max) {
          return std::string();
        }
        return fmt::format("expected a whole number {}, got '{}'", range_words(min, max), text);
      },
      "", "whole_number");
}

CLI::Validator number_between(double min, double max, const std::string& what) {
  const std::string range =
      std::isinf(max) ? fmt::format("of at least {}", min) : fmt::format("from {} to {}", min, max);
  return CLI::Validator(
      [min, max, what, range](std::string& text) {
        double value = 0;
        if (parse_exactly(text, value) && std::isfinite(value) && value >= min && value <= max) {
          return std::string();
        }
        return fmt::format("expected {} {}, got '{}'", what, range, text);
      },
      "", "number_between");
}

std::string expected_one_of(const std::vector<std::string>& names, const std::string& got) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    list += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
    list += names[i];
  }
  return fmt::format("expected {}, got '{}'", list, got);
}

}  // namespace promptbench::cli
