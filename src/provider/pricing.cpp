// SPDX-License-Identifier: Apache-2.0
// The price of a response from its reported usage (the cost metric and a variant's cost).
#include "promptbench/provider.hpp"

namespace promptbench {

std::optional<double> cost_usd(const Usage& usage, const Pricing& pricing) {
  if (!usage.prompt_tokens && !usage.completion_tokens) {
    return std::nullopt;
  }
  constexpr double kTokensPerPriceUnit = 1e6;
  return (static_cast<double>(usage.prompt_tokens.value_or(0)) * pricing.prompt +
          static_cast<double>(usage.completion_tokens.value_or(0)) * pricing.completion) /
         kTokensPerPriceUnit;
}

}  // namespace promptbench
