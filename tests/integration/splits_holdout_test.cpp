// SPDX-License-Identifier: Apache-2.0
// Dev/test splits and the holdout guard with the real binary against the stub: eval runs dev
// by default, --split test|all are looks counted in the ledger beside the cache, max_looks
// refuses (exit 2) unless --force-look, the report and its renderings say the split, its size
// and the look, shards of a split merge, and a split field's bad value is a located error.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace splits_holdout_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kRows = 40;

std::string config(const StubServer& stub, const std::string& dataset_extra,
                   const std::string& extra = "") {
  return R"yaml(name: splits
providers:
  - {id: local, base_url: ")yaml" +
         stub.base_url() + R"yaml(", model: m, retries: 0}
prompts:
  - {id: echo, template: "{{text}}"}
dataset:
  path: rows.jsonl
  reference: label
  id: id
)yaml" + dataset_extra +
         extra;
}

std::string rows(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const std::string answer = "answer " + std::to_string(i);
    text += json{{"id", "row-" + std::to_string(i)},
                 {"text", answer},
                 {"label", answer},
                 {"part", i % 4 == 0 ? "test" : "dev"}}
                .dump() +
            "\n";
  }
  return text;
}

std::set<std::string> case_ids(const json& report) {
  std::set<std::string> ids;
  for (const json& c : report["cases"]) {
    ids.insert(c["id"].get<std::string>());
  }
  return ids;
}

class Splits : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", config(m_stub, "  split: {dev: 0.75, test: 0.25, salt: s1}\n",
                                           "holdout: {max_looks: 2}\n"));
    m_dir.write("rows.jsonl", rows(kRows));
  }

  ProcessResult eval(std::vector<std::string> args) {
    args.insert(args.begin(), {"eval", "-q"});
    return promptbench(m_dir, args);
  }

  json report(const std::string& name) const { return json::parse(read_file(m_dir.path() / name)); }
  json ledger() const {
    return json::parse(read_file(m_dir.path() / ".promptbench" / "holdout-ledger.json"));
  }

  StubServer m_stub;
  TempDir m_dir;
};

TEST_F(Splits, DevIsTheDefaultAndTheSplitsPartitionTheCases) {
  ASSERT_EQ(eval({"-o", "dev.json"}).exit_code, 0);
  const json dev = report("dev.json");
  EXPECT_EQ(dev["run"]["split"]["name"], "dev");
  EXPECT_EQ(dev["run"]["split"]["of"], kRows);
  EXPECT_EQ(dev["run"]["split"]["cases"], case_ids(dev).size());
  EXPECT_EQ(dev["run"]["split"]["config"],
            json::parse(R"({"by":"hash","dev":0.75,"test":0.25,"salt":"s1"})"));
  EXPECT_FALSE(dev["run"].contains("holdout"));  // a dev run is no look
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / ".promptbench" / "holdout-ledger.json"));

  const ProcessResult test = eval({"--split", "test", "-o", "test.json"});
  ASSERT_EQ(test.exit_code, 0) << test.err;
  ASSERT_EQ(eval({"--split", "all", "--force-look", "-o", "all.json"}).exit_code, 0);
  const std::set<std::string> dev_ids = case_ids(dev);
  const std::set<std::string> test_ids = case_ids(report("test.json"));
  EXPECT_FALSE(test_ids.empty());
  EXPECT_FALSE(dev_ids.empty());
  for (const std::string& id : test_ids) {
    EXPECT_EQ(dev_ids.count(id), 0U) << id << " is in both splits";
  }
  EXPECT_EQ(dev_ids.size() + test_ids.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(case_ids(report("all.json")).size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(report("test.json")["run"]["split"]["cases"], test_ids.size());
}

TEST_F(Splits, TheGuardCountsLooksRefusesPastMaxLooksAndRecordsAForcedLook) {
  const ProcessResult first = eval({"--split", "test", "-o", "t1.json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err,
              HasSubstr("test split looked at 0 times before, by 0 distinct prompt versions"));
  EXPECT_EQ(report("t1.json")["run"]["holdout"]["look"], 1);
  EXPECT_EQ(report("t1.json")["run"]["holdout"]["max_looks"], 2);

  // Another prompt version looks too (a Mustache comment: another template, the same text).
  m_dir.write("promptbench.yaml",
              replace_all(read_file(m_dir.path() / "promptbench.yaml"), "template: \"{{text}}\"",
                          "template: \"{{text}}{{! v2 }}\""));
  const ProcessResult second = eval({"--split", "test", "-o", "t2.json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err,
              HasSubstr("test split looked at 1 time before, by 1 distinct prompt version"));
  EXPECT_EQ(report("t2.json")["run"]["holdout"]["look"], 2);

  const ProcessResult refused = eval({"--split", "test", "-o", "t3.json"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("looked at 2 times before, by 2 distinct prompt versions"));
  EXPECT_THAT(refused.err, HasSubstr("promptbench.yaml:11:"));
  EXPECT_THAT(refused.err, HasSubstr("holdout.max_looks"));
  EXPECT_THAT(refused.err, HasSubstr("--force-look"));
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "t3.json"));
  EXPECT_EQ(ledger()["looks"].size(), 2U);

  // A dry run is no look, and is not refused.
  const ProcessResult dry = promptbench(m_dir, {"eval", "--dry-run", "--split", "test"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("the test split was looked at 2 times before, max_looks 2"));
  EXPECT_EQ(ledger()["looks"].size(), 2U);

  const ProcessResult forced = eval({"--split", "test", "--force-look", "-o", "t3.json"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(report("t3.json")["run"]["holdout"]["look"], 3);
  EXPECT_EQ(report("t3.json")["run"]["holdout"]["forced"], true);
  const json looks = ledger()["looks"];
  ASSERT_EQ(looks.size(), 3U);
  EXPECT_EQ(looks[2]["forced"], true);
  EXPECT_EQ(looks[2]["look"], 3);
  EXPECT_EQ(looks[2]["results"]["echo/local"]["exact_match"], 1.0);
  EXPECT_EQ(looks[0]["config_sha256"], report("t1.json")["run"]["config_sha256"]);
  EXPECT_NE(looks[0]["prompts"]["echo"], looks[1]["prompts"]["echo"]);
}

TEST_F(Splits, ARunThatFailsBeforeAnyRequestIsNoLook) {
  m_dir.write("promptbench.yaml",
              replace_all(read_file(m_dir.path() / "promptbench.yaml"), "{{text}}", "{{nope}}"));
  const ProcessResult failed = eval({"--split", "test"});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / ".promptbench" / "holdout-ledger.json"));
}

TEST_F(Splits, TheSummaryMarkdownDryRunAndValidateShowTheSplit) {
  const ProcessResult run = promptbench(m_dir, {"eval", "--color", "never", "--md", "r.md"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::size_t dev_cases = case_ids(report("promptbench-report.json")).size();
  const std::string line = "split: dev (" + std::to_string(dev_cases) + " of 40 cases)";
  EXPECT_THAT(run.out, HasSubstr(line));
  EXPECT_THAT(read_file(m_dir.path() / "r.md"), HasSubstr(line));

  const ProcessResult dry = promptbench(m_dir, {"eval", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("splits by hash of the case id (dev 0.75, test 0.25, salt 's1')"));
  EXPECT_THAT(dry.out, HasSubstr("this run: dev (" + std::to_string(dev_cases) + " cases)"));
  EXPECT_THAT(dry.out, Not(HasSubstr("holdout:")));

  const ProcessResult validate = promptbench(m_dir, {"validate"});
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(validate.out, HasSubstr("dev " + std::to_string(dev_cases) + ", test " +
                                      std::to_string(40 - dev_cases) + " of 40 cases"));
}

TEST_F(Splits, ShardsOfATestRunMergeAndOnlyShardZeroCountsTheLook) {
  ASSERT_EQ(eval({"--split", "test", "--shard", "0/2", "-o", "s0.json"}).exit_code, 0);
  ASSERT_EQ(eval({"--split", "test", "--shard", "1/2", "-o", "s1.json"}).exit_code, 0);
  EXPECT_EQ(ledger()["looks"].size(), 1U);
  EXPECT_EQ(ledger()["looks"][0]["shard"], "0/2");
  const ProcessResult merged =
      promptbench(m_dir, {"merge", "-q", "s0.json", "s1.json", "-o", "merged.json"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const json m = report("merged.json");
  EXPECT_EQ(m["run"]["split"], report("s0.json")["run"]["split"]);
  EXPECT_EQ(m["run"]["holdout"]["look"], 1);
  EXPECT_EQ(m["run"]["shard"]["cases"], m["run"]["split"]["cases"]);
  EXPECT_EQ(m["variants"][0]["metrics"]["exact_match"]["unscored"], 0);

  // A shard of the dev split is no shard of the test run.
  ASSERT_EQ(eval({"--shard", "1/2", "-o", "dev1.json"}).exit_code, 0);
  const ProcessResult refused =
      promptbench(m_dir, {"merge", "-q", "s0.json", "dev1.json", "-o", "bad.json"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("run.split"));
}

TEST_F(Splits, SplitWithoutSplitsIsAnError) {
  m_dir.write("plain.yaml", config(m_stub, ""));
  const ProcessResult result = promptbench(m_dir, {"eval", "-q", "plain.yaml", "--split", "dev"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--split dev: the dataset has no splits"));
  const ProcessResult plain = promptbench(m_dir, {"eval", "-q", "plain.yaml", "-o", "p.json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(report("p.json")["run"].contains("split"));
  const ProcessResult watched = eval({"--watch", "--split", "test"});
  EXPECT_EQ(watched.exit_code, 2);
  EXPECT_THAT(watched.err, HasSubstr("--watch with --split test"));
  const ProcessResult bad = eval({"--split", "train"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--split: expected dev, test or all, got 'train'"));
}

TEST_F(Splits, ASplitFieldChoosesTheCasesAndABadValueIsLocated) {
  m_dir.write("field.yaml", config(m_stub, "  split_field: part\n"));
  ASSERT_EQ(
      promptbench(m_dir, {"eval", "-q", "field.yaml", "--split", "test", "-o", "f.json"}).exit_code,
      0);
  const std::set<std::string> test_ids = case_ids(report("f.json"));
  EXPECT_EQ(test_ids.size(), 10U);  // every fourth row
  EXPECT_EQ(test_ids.count("row-0"), 1U);
  EXPECT_EQ(report("f.json")["run"]["split"]["config"],
            json::parse(R"({"by":"field","field":"part"})"));

  std::string text = rows(kRows);
  text += json{{"id", "row-x"}, {"text", "t"}, {"label", "t"}, {"part", "train"}}.dump() + "\n";
  m_dir.write("rows.jsonl", text);
  const ProcessResult bad = promptbench(m_dir, {"eval", "-q", "field.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("rows.jsonl:41"));
  EXPECT_THAT(bad.err, HasSubstr("split field \"part\": expected dev or test, got 'train'"));
}

}  // namespace
}  // namespace splits_holdout_test
}  // namespace promptbench::testing
