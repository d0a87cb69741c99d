// SPDX-License-Identifier: Apache-2.0
// Planning: which variant is the baseline.
#include "runner/plan.hpp"

#include <gtest/gtest.h>

namespace promptbench {
namespace {

Config two_prompts_two_providers() {
  Config config;
  config.prompts.resize(2);
  config.prompts[0].id = "terse";
  config.prompts[1].id = "chat";
  config.providers.resize(2);
  config.providers[0].id = "a";
  config.providers[1].id = "b";
  return config;
}

const std::vector<Variant> kVariants = {
    {"terse/a", 0, 0}, {"terse/b", 0, 1}, {"chat/a", 1, 0}, {"chat/b", 1, 1}};

TEST(BaselineIndex, FindsAVariantOrThePromptsFirstVariant) {
  Config config = two_prompts_two_providers();
  EXPECT_EQ(baseline_index(config, kVariants), 0u);
  config.baseline = "chat/b";
  EXPECT_EQ(baseline_index(config, kVariants), 3u);
  config.baseline = "chat";
  EXPECT_EQ(baseline_index(config, kVariants), 2u);
  // Filtered out of the run: the first variant run.
  const std::vector<Variant> only_terse = {kVariants[0], kVariants[1]};
  EXPECT_EQ(baseline_index(config, only_terse), 0u);
}

}  // namespace
}  // namespace promptbench
