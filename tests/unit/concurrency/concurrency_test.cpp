// SPDX-License-Identifier: Apache-2.0
// Which concurrency limits are in force, and what --dry-run and -v say about them.
#include <gtest/gtest.h>

#include "promptbench/concurrency.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

class Concurrency : public ::testing::Test {
 protected:
  /// A config with providers `fast` and `slow` (their `concurrency:` lines as given), a
  /// judge `grader`, and `global` as the config's own `concurrency:` line.
  Config config(const std::string& fast, const std::string& slow, const std::string& global,
                bool judged = false) {
    m_dir.write("data.jsonl", R"({"q": "a", "reference": "a"})"
                              "\n");
    std::string text = "providers:\n";
    text += "  - {id: fast, base_url: \"http://127.0.0.1:1/v1\", model: m" + fast + "}\n";
    text += "  - {id: slow, base_url: \"http://127.0.0.1:1/v1\", model: m" + slow + "}\n";
    text += "judges:\n  - {id: grader, base_url: \"http://127.0.0.1:1/v1\", model: j}\n";
    text += "prompts: [{id: p, template: \"{{q}}\"}]\ndataset: {path: data.jsonl}\n";
    text += judged ? "metrics: [{llm_judge: {judge: grader, rubric: \"ok?\"}}]\n"
                   : "metrics: [exact_match]\n";
    text += global;
    return load_config(m_dir.write("cfg.yaml", text));
  }

  static ConcurrencyPlan plan(const Config& config, int flag,
                              const std::vector<std::string>& providers = {}) {
    return plan_concurrency(config, plan_variants(config, {}, providers), flag);
  }

  testing::ScratchDir m_dir;
};

TEST_F(Concurrency, WithoutAGlobalLimitItIsTheSumOfTheProvidersLimits) {
  const Config c = config(", concurrency: 64", "", "");
  const ConcurrencyPlan p = plan(c, 0);
  EXPECT_EQ(p.endpoint_limits, (std::vector<int>{64, kDefaultProviderConcurrency, 0}));
  EXPECT_EQ(p.global, 64 + kDefaultProviderConcurrency);
  EXPECT_EQ(p.global_source, "the sum of the providers' limits");
  EXPECT_TRUE(p.notes.empty());
}

TEST_F(Concurrency, OnlyTheProvidersAndJudgesTheRunUsesCount) {
  const Config c = config(", concurrency: 64", ", concurrency: 8", "", true);
  EXPECT_EQ(plan(c, 0).global, 64 + 8 + kDefaultProviderConcurrency) << "the judge counts";
  const ConcurrencyPlan only_slow = plan(c, 0, {"slow"});
  EXPECT_EQ(only_slow.endpoint_limits, (std::vector<int>{0, 8, kDefaultProviderConcurrency}));
  EXPECT_EQ(only_slow.global, 8 + kDefaultProviderConcurrency);
}

TEST_F(Concurrency, DashJRaisesProvidersThatNameNoLimitOfTheirOwn) {
  const Config c = config("", "", "");
  const ConcurrencyPlan p = plan(c, 64);
  EXPECT_EQ(p.global, 64);
  EXPECT_EQ(p.global_source, "-j 64");
  EXPECT_EQ(p.endpoint_limits, (std::vector<int>{64, 64, 0}));
  EXPECT_TRUE(p.notes.empty());
}

TEST_F(Concurrency, TheConfigsGlobalLimitActsLikeDashJAndDashJWins) {
  const Config c = config("", "", "concurrency: 40\n");
  EXPECT_EQ(plan(c, 0).global, 40);
  EXPECT_EQ(plan(c, 0).global_source, "concurrency: 40 in the config");
  EXPECT_EQ(plan(c, 0).endpoint_limits, (std::vector<int>{40, 40, 0}));
  EXPECT_EQ(plan(c, 100).global, 100);
  EXPECT_EQ(plan(c, 100).endpoint_limits, (std::vector<int>{100, 100, 0}));
}

TEST_F(Concurrency, DisagreementsSayWhichLimitIsInForce) {
  const Config c = config(", concurrency: 64", ", concurrency: 8", "concurrency: 32\n");
  const ConcurrencyPlan p = plan(c, 0);
  EXPECT_EQ(p.global, 32);
  EXPECT_EQ(p.endpoint_limits, (std::vector<int>{64, 8, 0}));
  ASSERT_EQ(p.notes.size(), 2u);
  EXPECT_EQ(p.notes[0],
            "provider 'slow' sends at most 8 at once: its own concurrency: 8 is below "
            "concurrency: 32 in the config");
  EXPECT_EQ(p.notes[1],
            "concurrency: 32 in the config is in force over the providers' own limits (fast 64, "
            "slow 8), which add up to 72");
  const std::vector<std::string> lines = describe(p, c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "concurrency: 32 requests in flight at most (concurrency: 32 in the config; per "
            "provider: fast 64, slow 8)");
  EXPECT_EQ(lines[1], "  " + p.notes[0]);
}

TEST_F(Concurrency, AgreeingLimitsNeedNoNote) {
  const Config c = config(", concurrency: 64", ", concurrency: 8", "");
  EXPECT_TRUE(plan(c, 0).notes.empty());
  EXPECT_EQ(describe(plan(c, 0), c),
            std::vector<std::string>{"concurrency: 72 requests in flight at most (the sum of "
                                     "the providers' limits; per provider: fast 64, slow 8)"});
}

TEST_F(Concurrency, ARecordedProviderSendsNothingSoAddsNothing) {
  m_dir.write("data.jsonl", R"({"q": "a", "reference": "a"})"
                            "\n");
  m_dir.write("outputs.jsonl", R"({"id": "0", "output": "a"})"
                               "\n");
  const Config c = load_config(m_dir.write("cfg.yaml", R"(providers:
  - {id: live, base_url: "http://127.0.0.1:1/v1", model: m, concurrency: 24}
  - {id: rec, type: recorded, path: outputs.jsonl}
prompts: [{id: p, template: "{{q}}"}]
dataset: {path: data.jsonl}
)"));
  const ConcurrencyPlan p = plan(c, 0);
  EXPECT_EQ(p.endpoint_limits, (std::vector<int>{24, 0}));
  EXPECT_EQ(p.global, 24);
}

}  // namespace
}  // namespace promptbench
