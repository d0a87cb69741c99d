// SPDX-License-Identifier: Apache-2.0
#include "cli/plan_line.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "provider/providers/recorded.hpp"

namespace promptbench::cli {

namespace {

std::string counted(std::size_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

}  // namespace

std::size_t recorded_variants(const Config& config, const std::vector<Variant>& variants) {
  return static_cast<std::size_t>(
      std::count_if(variants.begin(), variants.end(), [&](const Variant& variant) {
        return config.providers[variant.provider].type == providers::kRecordedType;
      }));
}

std::string request_count(std::size_t cases, std::size_t variants, std::size_t recorded,
                          std::size_t repeat) {
  return fmt::format(
      "{} x {}{} = {}{}", counted(cases, "case"), counted(variants, "variant"),
      repeat > 1 ? fmt::format(" x {} repeats", repeat) : "",
      counted(cases * (variants - recorded) * repeat, "request"),
      recorded == 0 ? "" : fmt::format(" ({} recorded)", counted(recorded, "variant")));
}

std::string split_plan(const Config& config, const Preflight& checked) {
  return fmt::format("splits {}: dev {}, test {} of {}", describe(config.dataset.split),
                     checked.dev_cases, checked.test_cases, counted(checked.cases, "case"));
}

}  // namespace promptbench::cli
