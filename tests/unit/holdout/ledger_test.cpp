// SPDX-License-Identifier: Apache-2.0
// The holdout ledger: looks counted per test split and per prompt version, max_looks
// refusing past its limit unless forced, and a corrupt ledger refused, never reset.
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/error.hpp"
#include "promptbench/holdout.hpp"
#include "promptbench/report.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;

class HoldoutLedgerTest : public ::testing::Test {
 protected:
  Config load(const std::string& holdout = "", const std::string& salt = "",
              const std::string& prompt = "Q: {{q}}") {
    m_dir.write("data.jsonl", "{\"id\": \"a\", \"q\": \"x\", \"reference\": \"y\"}\n");
    return load_config(
        m_dir.write("cfg.yaml",
                    "providers:\n  - {id: local, base_url: \"http://127.0.0.1:9/v1\", model: m}\n"
                    "prompts:\n  - {id: p, template: \"" +
                        prompt +
                        "\"}\n"
                        "dataset:\n  path: data.jsonl\n  split: {dev: 0.8, test: 0.2, salt: \"" +
                        salt + "\"}\n" + holdout));
  }
  [[nodiscard]] std::filesystem::path ledger() const {
    return m_dir.path() / ".promptbench" / kHoldoutLedgerName;
  }
  /// One look: the guard's check, then its record with a one-variant summary.
  nlohmann::ordered_json look(const Config& config, bool force = false) {
    HoldoutGuard guard(config, {}, ledger(), SplitChoice::test, Shard{}, force);
    ReportSummary summary;
    summary.run.shard_cases = 1;
    VariantSummary variant;
    variant.id = "p/local";
    MetricSummary metric;
    metric.name = "exact_match";
    metric.n = 1;
    metric.mean = 0.75;
    variant.metrics.push_back(metric);
    summary.variants.push_back(variant);
    guard.record(summary);
    return guard.report_entry();
  }
  [[nodiscard]] nlohmann::json ledger_json() const {
    std::ifstream in(ledger());
    return nlohmann::json::parse(in);
  }
  testing::ScratchDir m_dir;
};

TEST_F(HoldoutLedgerTest, TheLedgerLivesBesideTheCache) {
  EXPECT_EQ(holdout_ledger_path(".promptbench/cache.db"),
            std::filesystem::path(".promptbench/holdout-ledger.json"));
  EXPECT_EQ(holdout_ledger_path("cache.db"), std::filesystem::path("./holdout-ledger.json"));
}

TEST_F(HoldoutLedgerTest, EachLookIsCountedAndRecordedWithItsResults) {
  const Config config = load();
  EXPECT_EQ(look(config)["look"], 1);
  EXPECT_EQ(look(config)["look"], 2);
  const nlohmann::json document = ledger_json();
  EXPECT_EQ(document["format"], "promptbench-holdout-ledger");
  ASSERT_EQ(document["looks"].size(), 2U);
  const nlohmann::json& entry = document["looks"][1];
  EXPECT_EQ(entry["config_sha256"], config.sha256);
  EXPECT_EQ(entry["prompts"]["p"], prompt_sha256(config.prompts[0]));
  EXPECT_EQ(entry["results"]["p/local"]["exact_match"], 0.75);
  EXPECT_EQ(entry["split"]["dataset"], "../data.jsonl");
  EXPECT_EQ(entry["run"], "test");
  EXPECT_EQ(entry["gates"], "none");
  EXPECT_EQ(entry["at"].get<std::string>().back(), 'Z');
  const LookCount count = HoldoutLedger::read(ledger()).count(holdout_split_key(config, ledger()));
  EXPECT_EQ(count.looks, 2U);
  EXPECT_EQ(count.prompt_versions, 1U);
}

TEST_F(HoldoutLedgerTest, DistinctPromptVersionsAreCounted) {
  (void)look(load("", "", "Q: {{q}}"));
  (void)look(load("", "", "Question: {{q}}"));
  (void)look(load("", "", "Q: {{q}}"));
  const Config config = load();
  const LookCount count = HoldoutLedger::read(ledger()).count(holdout_split_key(config, ledger()));
  EXPECT_EQ(count.looks, 3U);
  EXPECT_EQ(count.prompt_versions, 2U);
}

TEST_F(HoldoutLedgerTest, AnotherSaltIsAnotherTestSplit) {
  (void)look(load("", "one"));
  EXPECT_EQ(look(load("", "two"))["look"], 1);
  EXPECT_EQ(look(load("", "one"))["look"], 2);
}

TEST_F(HoldoutLedgerTest, MaxLooksRefusesUnlessForcedAndTheForcedLookIsRecorded) {
  const Config config = load("holdout: {max_looks: 2}\n");
  (void)look(config);
  (void)look(config);
  try {
    (void)look(config);
    ADD_FAILURE() << "a third look passed max_looks 2";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cfg.yaml:8:"));
    EXPECT_THAT(e.what(), HasSubstr("holdout.max_looks: the test split was looked at 2 times"));
    EXPECT_THAT(e.what(), HasSubstr("--force-look"));
  }
  EXPECT_EQ(ledger_json()["looks"].size(), 2U);  // the refusal is no look
  const nlohmann::ordered_json forced = look(config, true);
  EXPECT_EQ(forced["look"], 3);
  EXPECT_EQ(forced["forced"], true);
  EXPECT_EQ(forced["max_looks"], 2);
  EXPECT_EQ(ledger_json()["looks"][2]["forced"], true);
}

TEST_F(HoldoutLedgerTest, OnlyShardZeroOfAShardedRunChecksAndRecords) {
  const Config config = load("holdout: {max_looks: 1}\n");
  (void)look(config);
  // Shard 1 of 2 neither refuses nor records: shard 0 stands for the run.
  HoldoutGuard other(config, {}, ledger(), SplitChoice::test, Shard{1, 2}, false);
  other.record(ReportSummary{});
  EXPECT_EQ(ledger_json()["looks"].size(), 1U);
  EXPECT_THROW(HoldoutGuard(config, {}, ledger(), SplitChoice::test, Shard{0, 2}, false),
               UserError);
}

TEST_F(HoldoutLedgerTest, ConcurrentAppendsKeepEveryEntry) {
  // Each append re-reads the ledger under the folder's lock: without it, two writers would
  // read the same ledger and the later rename would drop the other's entry.
  constexpr int kWriters = 4;
  constexpr int kEach = 15;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kEach; ++i) {
        HoldoutLedger::append(
            ledger(), {{"split", {{"writer", w}}}, {"prompts", {{"p", std::to_string(i)}}}});
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  EXPECT_EQ(ledger_json()["looks"].size(), static_cast<std::size_t>(kWriters * kEach));
  const LookCount count = HoldoutLedger::read(ledger()).count({{"writer", 2}});
  EXPECT_EQ(count.looks, static_cast<std::size_t>(kEach));
  EXPECT_EQ(count.prompt_versions, static_cast<std::size_t>(kEach));
}

TEST_F(HoldoutLedgerTest, ACorruptLedgerIsALocatedErrorAndIsKept) {
  const Config config = load();
  m_dir.write(".promptbench/holdout-ledger.json",
              "{\"format\": \"promptbench-holdout-ledger\",\n"
              "  \"looks\": [ oops ]}\n");
  try {
    (void)look(config);
    ADD_FAILURE() << "a corrupt ledger was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("holdout-ledger.json:2:"));
    EXPECT_THAT(e.what(), HasSubstr("not a holdout ledger"));
  }
  m_dir.write(".promptbench/holdout-ledger.json", "{\"looks\": []}\n");
  EXPECT_THROW((void)look(config), UserError);
  std::ifstream in(ledger());
  std::stringstream kept;
  kept << in.rdbuf();
  EXPECT_EQ(kept.str(), "{\"looks\": []}\n");  // never silently reset
}

TEST_F(HoldoutLedgerTest, FieldsOfAnotherTypeOrNumbersBeyondADoubleAreACorruptLedger) {
  // Each once escaped as nlohmann's type_error or out_of_range: exit 3, no file named.
  const Config config = load();
  const std::pair<const char*, const char*> ledgers[] = {
      {R"({"format": 5, "version": 1, "looks": []})", "/format: expected"},
      {R"({"format": "promptbench-holdout-ledger", "version": "1", "looks": []})",
       "/version: expected 1"},
      {R"({"format": "promptbench-holdout-ledger", "version": 1.5, "looks": []})",
       "/version: expected 1"},
      {R"({"format": "promptbench-holdout-ledger", "version": 1e400, "looks": []})",
       "a number too large for a double"},
      {R"({"format": "promptbench-holdout-ledger", "version": 1,
           "looks": [{"split": {}, "prompts": []}]})",
       "/looks/0/prompts: expected an object"},
      {"[1, 2]", "/format: expected"}};
  for (const auto& [text, message] : ledgers) {
    m_dir.write(".promptbench/holdout-ledger.json", text);
    try {
      (void)look(config);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr("holdout-ledger.json")) << text;
      EXPECT_THAT(e.what(), HasSubstr(message)) << text;
    }
  }
}

}  // namespace
}  // namespace promptbench
