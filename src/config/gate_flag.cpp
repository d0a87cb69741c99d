// SPDX-License-Identifier: Apache-2.0
// `eval --gate 'exact_match>=0.8'`: a gate from the command line, checked against the config.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "promptbench/config.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

constexpr const char* kGateSyntax =
    "expected METRIC>=VALUE or METRIC<=VALUE, optionally VARIANT:METRIC>=VALUE and a final "
    "'on ci_low' or 'on mean' (e.g. exact_match>=0.8 on ci_low)";

[[noreturn]] void fail(const std::string& text, const std::string& message) {
  throw UserError(fmt::format("--gate '{}': {}", text, message));
}

}  // namespace

GateConfig parse_gate_flag(const Config& config, const std::string& text) {
  return parse_gate_flag(metric_report_names(config), variant_ids(config), text);
}

GateConfig parse_gate_flag(const std::vector<std::string>& metrics,
                           const std::vector<std::string>& variants, const std::string& text) {
  const std::size_t at_least = text.find(">=");
  const std::size_t at_most = text.find("<=");
  if ((at_least == std::string::npos) == (at_most == std::string::npos)) {
    fail(text, kGateSyntax);
  }
  const std::size_t op = std::min(at_least, at_most);
  const std::string subject = util::trim(text.substr(0, op));
  std::string bound = util::trim(text.substr(op + 2));

  GateConfig gate;
  gate.field = "--gate";
  // `on ci_low` / `on mean` after the bound: what the config's `on:` says.
  const std::size_t on = bound.find(" on ");
  if (on != std::string::npos) {
    const std::string what = util::trim(bound.substr(on + 4));
    if (what == "ci_low") {
      gate.on = GateOn::ci_low;
    } else if (what != "mean") {
      fail(text, fmt::format("'on {}' is neither 'on mean' nor 'on ci_low'", what));
    }
    bound = util::trim(bound.substr(0, on));
  }
  const std::size_t colon = subject.rfind(':');
  gate.metric = colon == std::string::npos ? subject : util::trim(subject.substr(colon + 1));
  if (colon != std::string::npos) {
    gate.variant = util::trim(subject.substr(0, colon));
  }
  if (gate.metric.empty() || (colon != std::string::npos && gate.variant.empty())) {
    fail(text, kGateSyntax);
  }

  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(bound, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (bound.empty() || used != bound.size() || !std::isfinite(value)) {
    fail(text, fmt::format("'{}' is not a number; {}", bound, kGateSyntax));
  }
  (op == at_least ? gate.min : gate.max) = value;

  if (std::find(metrics.begin(), metrics.end(), gate.metric) == metrics.end()) {
    fail(text, fmt::format("no metric '{}' in the config{}", gate.metric,
                           util::did_you_mean(gate.metric, metrics)));
  }
  if (!gate.variant.empty() &&
      std::find(variants.begin(), variants.end(), gate.variant) == variants.end()) {
    fail(text, fmt::format("no variant '{}' (variants are prompt/provider pairs){}", gate.variant,
                           util::did_you_mean(gate.variant, variants)));
  }
  return gate;
}

}  // namespace promptbench
