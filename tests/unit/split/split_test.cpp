// SPDX-License-Identifier: Apache-2.0
// Dev/test splits: the hash assignment's stability and proportions, the salt, the config's
// checks, a split field's located errors, and the pre-flight that applies the split before
// the selection.
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/error.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/selection.hpp"
#include "promptbench/shard.hpp"
#include "promptbench/split.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;

SplitConfig hashed(double dev, const std::string& salt = "") {
  SplitConfig split;
  split.dev = dev;
  split.test = 1 - dev;
  split.salt = salt;
  return split;
}

std::vector<std::string> case_ids(std::size_t from, std::size_t to) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < to; ++i) {
    out.push_back("q-" + std::to_string(i));
  }
  return out;
}

std::vector<std::string_view> assign(const std::vector<std::string>& ids,
                                     const SplitConfig& split) {
  std::vector<std::string_view> out;
  for (const std::string& id : ids) {
    out.push_back(hashed_split(id, split));
  }
  return out;
}

TEST(Split, AppendedRowsNeverMoveTheFirstCases) {
  const SplitConfig split = hashed(0.8);
  const std::vector<std::string> first = case_ids(0, 1000);
  const std::vector<std::string_view> before = assign(first, split);
  std::vector<std::string> grown = case_ids(0, 3000);
  // Appended rows, and the same rows in another order: a case's split is its id's alone.
  std::reverse(grown.begin(), grown.end());
  for (const std::string& id : grown) {
    (void)hashed_split(id, split);
  }
  EXPECT_EQ(assign(first, split), before);
}

TEST(Split, ProportionsHoldWithinTwoPercent) {
  for (const double dev : {0.8, 0.5, 0.9}) {
    std::size_t in_dev = 0;
    for (const std::string& id : case_ids(0, 10'000)) {
      in_dev += hashed_split(id, hashed(dev)) == kDevSplit ? 1 : 0;
    }
    EXPECT_NEAR(static_cast<double>(in_dev) / 10'000, dev, 0.02) << "dev share " << dev;
  }
}

TEST(Split, TheSaltChangesTheAssignment) {
  const std::vector<std::string> ids = case_ids(0, 1000);
  const auto plain = assign(ids, hashed(0.8));
  const auto salted = assign(ids, hashed(0.8, "2026-q4"));
  std::size_t moved = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    moved += plain[i] != salted[i] ? 1 : 0;
  }
  // Two independent 80/20 draws disagree on 2 x 0.8 x 0.2 = 32% of the cases.
  EXPECT_GT(moved, 200U);
  EXPECT_EQ(assign(ids, hashed(0.8, "2026-q4")), salted);  // and the same salt agrees
}

TEST(Split, IsIndependentOfTheShards) {
  // Every shard of 2 holds dev and test cases in about the split's proportion.
  std::size_t dev_in_shard0 = 0;
  std::size_t shard0 = 0;
  for (const std::string& id : case_ids(0, 10'000)) {
    if (shard_of(id, 2) == 0) {
      ++shard0;
      dev_in_shard0 += hashed_split(id, hashed(0.8)) == kDevSplit ? 1 : 0;
    }
  }
  EXPECT_NEAR(static_cast<double>(dev_in_shard0) / static_cast<double>(shard0), 0.8, 0.02);
}

TEST(Split, ChoicesParseAndOthersAreRefused) {
  EXPECT_EQ(parse_split_choice("dev"), SplitChoice::dev);
  EXPECT_EQ(parse_split_choice("test"), SplitChoice::test);
  EXPECT_EQ(parse_split_choice("all"), SplitChoice::all);
  EXPECT_THROW((void)parse_split_choice("train"), UserError);
  EXPECT_FALSE(looks_at_test(SplitChoice::dev));
  EXPECT_TRUE(looks_at_test(SplitChoice::test));
  EXPECT_TRUE(looks_at_test(SplitChoice::all));
}

TEST(Split, TheLineNamesTheSplitAndItsSize) {
  const nlohmann::ordered_json split = {{"name", "dev"}, {"cases", 160U}, {"of", 200U}};
  EXPECT_EQ(split_line(split, nullptr), "split: dev (160 of 200 cases)");
  const nlohmann::ordered_json look = {{"look", 3U}, {"max_looks", 5U}, {"forced", false}};
  EXPECT_EQ(split_line({{"name", "test"}, {"cases", 40U}, {"of", 200U}}, look),
            "split: test (40 of 200 cases); look 3 at the test split (at most 5)");
  EXPECT_EQ(split_line(nullptr, nullptr), "");
}

/// A config over a dataset of `rows` JSONL lines, with `dataset_extra` in its dataset mapping
/// and `extra` at the top level.
class SplitConfigTest : public ::testing::Test {
 protected:
  Config load(const std::string& dataset_extra, const std::string& extra = "",
              const std::string& rows = "") {
    m_dir.write("data.jsonl", rows.empty() ? default_rows() : rows);
    return load_config(m_dir.write("cfg.yaml",
                                   "providers:\n  - {id: local, base_url: "
                                   "\"http://127.0.0.1:9/v1\", model: m}\n"
                                   "prompts:\n  - {id: p, template: \"Q: {{q}}\"}\n"
                                   "dataset:\n  path: data.jsonl\n  id: id\n" +
                                       dataset_extra + extra));
  }
  std::string error_of(const std::string& dataset_extra, const std::string& extra = "") {
    try {
      (void)load(dataset_extra, extra);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }
  static std::string default_rows() {
    std::string rows;
    for (int i = 0; i < 200; ++i) {
      rows += "{\"id\": \"q-" + std::to_string(i) + "\", \"q\": \"x\", \"reference\": \"y\"}\n";
    }
    return rows;
  }
  testing::ScratchDir m_dir;
};

TEST_F(SplitConfigTest, ReadsSharesAndSalt) {
  const Config config = load("  split: {dev: 0.8, test: 0.2, salt: \"v2\"}\n");
  EXPECT_TRUE(config.dataset.split.configured());
  EXPECT_DOUBLE_EQ(config.dataset.split.dev, 0.8);
  EXPECT_DOUBLE_EQ(config.dataset.split.test, 0.2);
  EXPECT_EQ(config.dataset.split.salt, "v2");
  EXPECT_FALSE(load("").dataset.split.configured());
  EXPECT_DOUBLE_EQ(load("  split: {dev: 0.7}\n").dataset.split.test, 0.3);
}

TEST_F(SplitConfigTest, RefusesSharesThatDoNotAddUp) {
  const std::string sum = error_of("  split: {dev: 0.8, test: 0.3}\n");
  EXPECT_THAT(sum, HasSubstr("cfg.yaml:8:"));
  EXPECT_THAT(sum, HasSubstr("dataset.split.test: dev 0.8 and test 0.3 add up to 1.1"));
  EXPECT_THAT(error_of("  split: {dev: 0, test: 1}\n"),
              HasSubstr("dataset.split.dev: expected a share of the cases above 0"));
  EXPECT_THAT(error_of("  split: {dev: 1.5}\n"), HasSubstr("at most 1"));
  EXPECT_THAT(error_of("  split: {train: 0.8, test: 0.2}\n"), HasSubstr("dataset.split"));
  EXPECT_THAT(error_of("  split: {salt: x}\n"), HasSubstr("the shares of the splits"));
}

TEST_F(SplitConfigTest, SplitAndSplitFieldExcludeEachOther) {
  EXPECT_THAT(error_of("  split: {dev: 0.8, test: 0.2}\n  split_field: split\n"),
              HasSubstr("not both"));
}

TEST_F(SplitConfigTest, HoldoutNeedsASplitAndAPositiveLimit) {
  EXPECT_THAT(error_of("", "holdout: {max_looks: 3}\n"),
              HasSubstr("holdout: guards the test split, but the dataset has none"));
  EXPECT_THAT(error_of("  split: {dev: 0.8, test: 0.2}\n", "holdout: {max_looks: 0}\n"),
              HasSubstr("holdout.max_looks"));
  const Config config = load("  split: {dev: 0.8, test: 0.2}\n", "holdout: {max_looks: 3}\n");
  EXPECT_EQ(config.holdout.max_looks, 3);
  EXPECT_EQ(config.holdout.where.line, 9U);
}

Preflight checked(const Config& config, std::optional<SplitChoice> split,
                  const SelectionCriteria& selection = {}) {
  return preflight(config, plan_variants(config, {}, {}), std::nullopt, {}, selection, split);
}

TEST_F(SplitConfigTest, PreflightCountsTheSplitsAndSelectsTheChosenOne) {
  const Config config = load("  split: {dev: 0.8, test: 0.2}\n");
  const Preflight dev = checked(config, SplitChoice::dev);
  EXPECT_EQ(dev.cases, 200U);
  EXPECT_EQ(dev.dev_cases + dev.test_cases, 200U);
  EXPECT_EQ(dev.split_cases, dev.dev_cases);
  EXPECT_EQ(dev.selected_cases, dev.dev_cases);
  EXPECT_NEAR(static_cast<double>(dev.dev_cases), 160, 20);
  for (const std::string& id : dev.first_selected) {
    EXPECT_EQ(hashed_split(id, config.dataset.split), kDevSplit) << id;
  }
  const Preflight test = checked(config, SplitChoice::test);
  EXPECT_EQ(test.selected_cases, dev.test_cases);
  EXPECT_EQ(checked(config, SplitChoice::all).selected_cases, 200U);
}

TEST_F(SplitConfigTest, TheSampleIsDrawnFromTheSplit) {
  const Config config = load("  split: {dev: 0.5, test: 0.5}\n");
  SelectionCriteria sample;
  sample.sample = 30;
  const Preflight result = checked(config, SplitChoice::test, sample);
  EXPECT_EQ(result.selected_cases, 30U);  // 30 test cases, not the test cases among 30
  CaseReader rows(config.dataset);
  std::size_t selected = 0;
  while (const auto row = rows.next()) {
    if (result.selector->selects(row->id)) {
      ++selected;
      EXPECT_EQ(hashed_split(row->id, config.dataset.split), kTestSplit) << row->id;
    }
  }
  EXPECT_EQ(selected, 30U);
}

TEST_F(SplitConfigTest, ASplitFieldNamesEachRowsSplit) {
  const std::string rows =
      "{\"id\": \"a\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"dev\"}\n"
      "{\"id\": \"b\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"test\"}\n"
      "{\"id\": \"c\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"dev\"}\n";
  const Config config = load("  split_field: split\n", "", rows);
  const Preflight dev = checked(config, SplitChoice::dev);
  EXPECT_EQ(dev.dev_cases, 2U);
  EXPECT_EQ(dev.test_cases, 1U);
  EXPECT_TRUE(dev.selector->selects("a"));
  EXPECT_FALSE(dev.selector->selects("b"));
  const Preflight test = checked(config, SplitChoice::test);
  EXPECT_EQ(test.first_selected, std::vector<std::string>{"b"});
}

TEST_F(SplitConfigTest, ABadSplitFieldIsAnErrorAtItsRow) {
  const std::string rows =
      "{\"id\": \"a\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"dev\"}\n"
      "{\"id\": \"b\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"train\"}\n";
  const Config config = load("  split_field: split\n", "", rows);
  for (const SplitChoice choice : {SplitChoice::dev, SplitChoice::all}) {
    try {
      (void)checked(config, choice);
      ADD_FAILURE() << "no error for a split of 'train'";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr("data.jsonl:2"));
      EXPECT_THAT(e.what(), HasSubstr("split field \"split\": expected dev or test, got 'train'"));
    }
  }
  const std::string missing = "{\"id\": \"a\", \"q\": \"x\", \"reference\": \"y\"}\n";
  const Config without = load("  split_field: split\n", "", missing);
  try {
    (void)checked(without, SplitChoice::dev);
    ADD_FAILURE() << "no error for a row without the split field";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("data.jsonl:1"));
    EXPECT_THAT(e.what(), HasSubstr("missing split field \"split\""));
  }
}

TEST_F(SplitConfigTest, AnEmptySplitIsAnError) {
  const std::string rows =
      "{\"id\": \"a\", \"q\": \"x\", \"reference\": \"y\", \"split\": \"dev\"}\n";
  const Config config = load("  split_field: split\n", "", rows);
  try {
    (void)checked(config, SplitChoice::test);
    ADD_FAILURE() << "no error for an empty test split";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--split test: the test split has none of the 1 case"));
  }
}

}  // namespace
}  // namespace promptbench
