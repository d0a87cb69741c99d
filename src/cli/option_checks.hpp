// SPDX-License-Identifier: Apache-2.0
// Validators for numeric and enumerated options whose messages read as plain sentences
// (`--limit: expected a whole number of at least 1, got '0'`) instead of CLI11's ranges
// up to 1.8e308 and its enum maps. CLI11 prefixes the option's name.
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "util/text.hpp"

namespace promptbench::cli {

/// An integer from `min` to `max` (no upper bound when `max` is the type's maximum).
[[nodiscard]] CLI::Validator whole_number(long long min,
                                          long long max = std::numeric_limits<long long>::max());

/// A finite number from `min` to `max`; `what` names it in the message ("a number",
/// "a fraction").
[[nodiscard]] CLI::Validator number_between(double min, double max, const std::string& what);

/// One of `names` (case ignored): "expected auto, always or never, got 'purple'".
[[nodiscard]] std::string expected_one_of(const std::vector<std::string>& names,
                                          const std::string& got);

/// One of the names of an enum's values, replaced by the value's number so that CLI11
/// converts it to the enum.
template <typename Enum>
[[nodiscard]] CLI::Validator one_of(std::vector<std::pair<std::string, Enum>> choices) {
  return CLI::Validator(
      [choices](std::string& value) {
        std::vector<std::string> names;
        for (const auto& [name, choice] : choices) {
          if (util::lower(value) == name) {
            value = std::to_string(static_cast<int>(choice));
            return std::string();
          }
          names.push_back(name);
        }
        return expected_one_of(names, value);
      },
      "", "one_of");
}

}  // namespace promptbench::cli
