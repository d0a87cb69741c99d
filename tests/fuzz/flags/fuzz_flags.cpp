// SPDX-License-Identifier: Apache-2.0
// Fuzzes the parsers of flag values a user types: `--gate` (parse_gate_flag, against fixed
// metric and variant lists, as `merge --gate` checks a report's), `--max-errors` and
// `max_errors:` (parse_allowance) and the durations of `timeout:` (parse_duration). The
// whole input is the flag's text. A UserError from --gate is expected; anything else
// escaping, a crash, or a parsed value that breaks an invariant is a finding.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/error.hpp"

namespace {

using promptbench::fuzz::invariant_failed;

const std::vector<std::string> kMetrics = {"exact_match", "contains", "latency", "quality"};
const std::vector<std::string> kVariants = {"terse/local", "chat/local", "a:b/c"};

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_gate(const std::string& text) {
  try {
    const promptbench::GateConfig gate = promptbench::parse_gate_flag(kMetrics, kVariants, text);
    if (!listed(kMetrics, gate.metric)) {
      invariant_failed("--gate took an unknown metric '" + gate.metric + "'", text);
    }
    if (!gate.variant.empty() && !listed(kVariants, gate.variant)) {
      invariant_failed("--gate took an unknown variant '" + gate.variant + "'", text);
    }
    if (gate.min.has_value() == gate.max.has_value()) {
      invariant_failed("--gate gave both bounds or none", text);
    }
    const double bound = gate.min ? *gate.min : *gate.max;
    if (!std::isfinite(bound)) {
      invariant_failed("--gate took a bound that is not finite", text);
    }
  } catch (const promptbench::UserError& e) {
    if (std::string_view(e.what()).find("--gate '") != 0) {
      invariant_failed(std::string("--gate's message does not name the flag: ") + e.what(), text);
    }
  }
}

// "007" -> "7", "000" -> "0".
std::string without_leading_zeros(const std::string& digits) {
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

void check_allowance(const std::string& text) {
  const std::optional<promptbench::Allowance> allowance = promptbench::parse_allowance(text);
  if (!allowance) {
    return;
  }
  if (allowance->percent) {
    const double percent = *allowance->percent;
    if (!(percent >= 0 && percent <= 100) || text.back() != '%') {
      invariant_failed("--max-errors took a percentage outside 0..100", text);
    }
    // Rounds down and never exceeds the total.
    for (const std::size_t total : {std::size_t{0}, std::size_t{7}, std::size_t{1000000}}) {
      if (allowance->of(total) > total) {
        invariant_failed("--max-errors allows more failures than there are results", text);
      }
    }
  } else if (std::to_string(allowance->count) != without_leading_zeros(text)) {
    invariant_failed("--max-errors count " + std::to_string(allowance->count) +
                         " does not read back as its text",
                     text);
  }
}

void check_duration(const std::string& text) {
  const auto duration = promptbench::parse_duration(text);
  if (duration && duration->count() < 0) {
    invariant_failed("a duration below zero", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(promptbench::fuzz::as_text(data, size));
  try {
    check_gate(text);
    check_allowance(text);
    check_duration(text);
  } catch (const std::exception& e) {
    invariant_failed(std::string("a flag parser threw ") + typeid(e).name() + ": " + e.what(),
                     text);
  }
  return 0;
}
