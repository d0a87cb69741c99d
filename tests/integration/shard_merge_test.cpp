// SPDX-License-Identifier: Apache-2.0
// `eval --shard` and `merge` with the real binary against the stub: the shards partition the
// cases, and the merge of 3, 4 or 5 shards gives the summary of one run byte for byte -- on a
// config with repeats, a judge, corpus BLEU and failed requests. Every refusal exits 2 naming
// the part.
//
// "The same run" means the same answers: a first run fills a response cache, then the single
// run and every shard answer from it (failed requests are never cached, so they fail again
// the same way). Latencies, and everything built on them, are then equal too.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace shard_merge_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr int kRows = 60;

/// Two prompts on a good endpoint, one on an endpoint that answers every request with 400
/// (failed requests, tolerated by max_errors), both priced; repeat 2; exact_match, contains,
/// corpus BLEU, latency and an LLM judge (the echo stub's reply is the rubric, which ends with
/// the output: "Score: N"); a gate.
std::string config(const StubServer& good, const StubServer& bad) {
  return R"yaml(name: sharded
providers:
  - {id: good, base_url: ")yaml" +
         good.base_url() + R"yaml(", model: m, retries: 0, pricing: {prompt: 2.5, completion: 10}}
  - {id: bad, base_url: ")yaml" +
         bad.base_url() + R"yaml(", model: m, retries: 0, pricing: {prompt: 0.15, completion: 0.6}}
judges:
  - {id: grader, base_url: ")yaml" +
         good.base_url() + R"yaml(", model: judge}
prompts:
  - {id: echo, template: "{{text}}"}
  - {id: say, template: "Say {{text}}"}
dataset: {path: rows.jsonl, reference: label, id: id}
repeat: 2
max_errors: 100%
metrics:
  - exact_match
  - contains
  - bleu
  - latency
  - llm_judge: {judge: grader, threshold: 5, rubric: "Rate 0 to 10.\nAnswer: {{output}}"}
gates:
  - {metric: contains, min: 0.2, variant: echo/good}
)yaml";
}

std::string rows(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const std::string answer = "Score: " + std::to_string(i % 11);
    text += json{{"id", "row-" + std::to_string(i)},
                 {"text", answer},
                 {"label", i % 3 == 0 ? answer : "Score: 0"}}
                .dump() +
            "\n";
  }
  return text;
}

class ShardMerge : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", config(m_good, m_bad));
    m_dir.write("rows.jsonl", rows(kRows));
    // Fill the cache: from here on every run gets the same answers.
    const ProcessResult warm = eval({"-o", "warm.json"});
    ASSERT_EQ(warm.exit_code, 0) << warm.err;
  }

  ProcessResult eval(std::vector<std::string> args) {
    args.insert(args.begin(), {"eval", "-q", "--cache", "cache.db"});
    return promptbench(m_dir, args);
  }

  /// Runs every shard of `count` into shard-I.json; returns the paths.
  std::vector<std::string> run_shards(std::size_t count) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < count; ++i) {
      parts.push_back(fmt_part(i, count));
      const ProcessResult result =
          eval({"--shard", std::to_string(i) + "/" + std::to_string(count), "-o", parts.back()});
      EXPECT_EQ(result.exit_code, 0) << parts.back() << ": " << result.err;
    }
    return parts;
  }

  static std::string fmt_part(std::size_t index, std::size_t count) {
    return "shard-" + std::to_string(index) + "-of-" + std::to_string(count) + ".json";
  }

  ProcessResult merge(std::vector<std::string> args) {
    args.insert(args.begin(), "merge");
    return promptbench(m_dir, args);
  }

  json report(const std::string& name) const { return json::parse(read_file(m_dir.path() / name)); }

  StubServer m_good{{"--mode", "echo"}};
  StubServer m_bad{
      {"--answer-status", "400", "--answer-body",
       R"({"error": {"message": "stub: bad request", "type": "invalid_request_error"}})"}};
  TempDir m_dir;
};

std::vector<std::string> case_ids(const json& report) {
  std::vector<std::string> ids;
  for (const json& c : report["cases"]) {
    ids.push_back(c["id"]);
  }
  return ids;
}

TEST_F(ShardMerge, ShardsPartitionTheCasesAndRecordWhichTheyAre) {
  const ProcessResult single = eval({"-o", "single.json"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const std::vector<std::string> all = case_ids(report("single.json"));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kRows));
  for (std::size_t count : {3, 5}) {
    std::multiset<std::string> union_of_parts;
    std::size_t index = 0;
    for (const std::string& part : run_shards(count)) {
      const json shard = report(part);
      EXPECT_EQ(shard["run"]["shard"],
                json({{"index", index}, {"count", count}, {"cases", shard["cases"].size()}}));
      EXPECT_EQ(shard["run"]["dataset"]["cases"], kRows);
      std::size_t last = 0;
      for (const json& c : shard["cases"]) {
        union_of_parts.insert(c["id"].get<std::string>());
        EXPECT_GE(c["index"].get<std::size_t>(), last) << "dataset order";
        last = c["index"];
        EXPECT_EQ(c["results"].size(), 8U) << "every variant (4) and repeat (2) of a case together";
      }
      ++index;
    }
    EXPECT_EQ(union_of_parts, std::multiset<std::string>(all.begin(), all.end()))
        << count << " shards: every case exactly once";
  }
}

TEST_F(ShardMerge, AppendedRowsDoNotMoveTheOthers) {
  ASSERT_EQ(eval({"--shard", "1/4", "-o", "before.json"}).exit_code, 0);
  m_dir.write("rows.jsonl", rows(kRows + 40));
  const ProcessResult after = eval({"--shard", "1/4", "-o", "after.json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const std::vector<std::string> before_ids = case_ids(report("before.json"));
  std::vector<std::string> after_ids = case_ids(report("after.json"));
  after_ids.resize(before_ids.size());
  EXPECT_EQ(after_ids, before_ids) << "the old rows of shard 1 are still exactly shard 1's";
  EXPECT_GT(report("after.json")["cases"].size(), before_ids.size());
}

TEST_F(ShardMerge, TheMergeOfThreeFourOrFiveShardsIsTheSingleRunsSummary) {
  const ProcessResult single = eval({"-o", "single.json"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const json expected = report("single.json");
  // The config exercises what it should: failed requests, judge replies, corpus BLEU.
  ASSERT_GT(expected["run"]["errors"]["requests"]["failed"].get<int>(), 0);
  ASSERT_GT(expected["run"]["errors"]["judges"]["total"].get<int>(), 0);
  ASSERT_TRUE(expected["variants"][0]["metrics"]["bleu"].contains("corpus"));
  // Both providers are priced: the answered variants cost something, the failed ones nothing.
  for (const json& variant : expected["variants"]) {
    const bool answered = variant["id"].get<std::string>().ends_with("/good");
    ASSERT_TRUE(variant["cost_usd"].is_number()) << variant["id"];
    EXPECT_EQ(variant["cost_usd"].get<double>() > 0, answered) << variant["id"];
  }

  for (std::size_t count : {3, 4, 5}) {
    const std::vector<std::string> parts = run_shards(count);
    std::vector<std::string> args(parts.rbegin(), parts.rend());  // any order of parts
    const std::string out = "merged-" + std::to_string(count) + ".json";
    args.insert(args.end(), {"-o", out, "-q"});
    const ProcessResult merged = merge(args);
    ASSERT_EQ(merged.exit_code, 0) << merged.err;
    const json actual = report(out);
    for (const char* section : {"variants", "comparisons", "gates"}) {
      EXPECT_EQ(actual[section].dump(), expected[section].dump()) << section << ", " << count;
    }
    for (std::size_t v = 0; v < expected["variants"].size(); ++v) {
      EXPECT_EQ(actual["variants"][v]["cost_usd"].dump(),
                expected["variants"][v]["cost_usd"].dump())
          << expected["variants"][v]["id"] << ", " << count << " shards";
    }
    EXPECT_EQ(actual["cases"], expected["cases"]) << count << " shards: the cases, in order";
    json run = actual["run"];
    json single_run = expected["run"];
    json shards = json::array();
    for (std::size_t i = 0; i < count; ++i) {
      shards.push_back(i);
    }
    EXPECT_EQ(run["merged_from"], json({{"count", count}, {"shards", shards}}));
    for (json* r : {&run, &single_run}) {
      r->erase("started_at");
      r->erase("finished_at");
      r->erase("merged_from");
    }
    EXPECT_EQ(run, single_run) << "the run block, but for times and merged_from";
  }
}

TEST_F(ShardMerge, GatesAreTheMergesAndItsExitCodesAreEvals) {
  // A gate no variant passes: a shard still exits 0 (its gates are the merge's), the merge 1.
  const ProcessResult shard = promptbench(m_dir, {"eval", "--cache", "cache.db", "--shard", "0/2",
                                                  "-o", "a.json", "--gate", "contains>=0.99"});
  EXPECT_EQ(shard.exit_code, 0) << shard.err;
  EXPECT_THAT(shard.err, HasSubstr("gates are applied when the shards are merged"));
  EXPECT_THAT(shard.out, HasSubstr("gates: 5 to apply when the shards are merged"));
  EXPECT_THAT(shard.out, ::testing::Not(HasSubstr("passed")));
  ASSERT_EQ(eval({"--shard", "1/2", "-o", "b.json", "--gate", "contains>=0.99"}).exit_code, 0);
  const ProcessResult merged = merge({"a.json", "b.json", "-o", "m.json", "--md", "m.md"});
  EXPECT_EQ(merged.exit_code, 1) << merged.err;
  EXPECT_THAT(merged.err, HasSubstr("gate failed"));
  EXPECT_THAT(read_file(m_dir.path() / "m.md"), HasSubstr("contains"));
  // --gate at the merge adds one.
  ASSERT_EQ(eval({"--shard", "0/2", "-o", "c.json"}).exit_code, 0);
  ASSERT_EQ(eval({"--shard", "1/2", "-o", "d.json"}).exit_code, 0);
  EXPECT_EQ(merge({"c.json", "d.json", "-o", "n.json", "-q"}).exit_code, 0);
  const ProcessResult gated =
      merge({"c.json", "d.json", "-o", "n.json", "-q", "--gate", "echo/good:exact_match>=0.9"});
  EXPECT_EQ(gated.exit_code, 1) << gated.err;
  EXPECT_THAT(gated.err, HasSubstr("echo/good exact_match"));
}

TEST_F(ShardMerge, AMissingShardIsRefusedUnlessAllowedAndThenTheReportIsIncomplete) {
  const std::vector<std::string> parts = run_shards(3);
  const ProcessResult refused = merge({parts[0], parts[2], "-o", "m.json"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("shard 1 of 3 missing"));
  EXPECT_FALSE(fs::exists(m_dir.path() / "m.json"));

  const ProcessResult allowed = merge({parts[0], parts[2], "-o", "m.json", "--allow-missing"});
  EXPECT_EQ(allowed.exit_code, 1) << "the gate fails on the missing cases: " << allowed.err;
  const json merged = report("m.json");
  EXPECT_EQ(merged["run"]["complete"], false);
  EXPECT_EQ(merged["run"]["stop_reason"], "missing_shards");
  EXPECT_EQ(merged["run"]["dataset"]["cases"], kRows);
  EXPECT_LT(merged["run"]["cases_evaluated"].get<int>(), kRows);
  EXPECT_GT(merged["variants"][0]["metrics"]["contains"]["unscored"].get<int>(), 0);
}

TEST_F(ShardMerge, PartsOfAnotherRunOrTheSameShardTwiceAreRefusedNamingTheFile) {
  const std::vector<std::string> parts = run_shards(2);
  // The same shard twice.
  ProcessResult result = merge({parts[0], parts[0], "-o", "m.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(parts[0] + ": shard 0 of 2 again"));
  // Another shard count.
  ASSERT_EQ(eval({"--shard", "1/3", "-o", "three.json"}).exit_code, 0);
  result = merge({parts[0], "three.json", "-o", "m.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("three.json: run.shard.count is 3"));
  // Another config (its own gate changed).
  std::string other = read_file(m_dir.path() / "promptbench.yaml");
  m_dir.write("other.yaml", other.replace(other.find("min: 0.2"), 8, "min: 0.1"));
  ASSERT_EQ(promptbench(m_dir, {"eval", "other.yaml", "-q", "--cache", "cache.db", "--shard", "1/2",
                                "-o", "other.json"})
                .exit_code,
            0);
  result = merge({parts[0], "other.json", "-o", "m.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("other.json: run.config_sha256 is"));
  EXPECT_THAT(result.err, HasSubstr("another config"));
  // Another seed... of the same config: the repeat differs.
  ASSERT_EQ(eval({"--shard", "1/2", "--repeat", "3", "-o", "r3.json"}).exit_code, 0);
  result = merge({parts[0], "r3.json", "-o", "m.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("r3.json: run.repeat is 3"));
  // The output, or a format's, is one of the parts.
  result = merge({parts[0], parts[1], "-o", parts[1]});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("-o " + parts[1] + ": is an input of this command"));
  result = merge({parts[0], parts[1], "-o", "m.json", "--md", "./" + parts[0]});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--md ./" + parts[0] + ": is an input of this command"));
  EXPECT_FALSE(fs::exists(m_dir.path() / "m.json"));
}

TEST_F(ShardMerge, ACaseInTheWrongPartIsRefused) {
  const std::vector<std::string> parts = run_shards(2);
  // Move one of shard 1's cases into shard 0's report.
  json zero = report(parts[0]);
  json one = report(parts[1]);
  zero["cases"].push_back(one["cases"][0]);
  m_dir.write("zero.json", zero.dump());
  const ProcessResult result = merge({"zero.json", parts[1], "-o", "m.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("zero.json: case '" + one["cases"][0]["id"].get<std::string>() +
                                    "' belongs to shard 1 of 2"));
  EXPECT_FALSE(fs::exists(m_dir.path() / "m.json"));
}

TEST_F(ShardMerge, TheDryRunShowsEveryShardsCaseCount) {
  const ProcessResult result =
      promptbench(m_dir, {"eval", "--cache", "cache.db", "--shard", "2/3", "--dry-run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::size_t total = 0;
  std::vector<std::size_t> counts;
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(eval({"--shard", std::to_string(i) + "/3", "-o", "s.json"}).exit_code, 0);
    counts.push_back(report("s.json")["cases"].size());
    total += counts.back();
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kRows));
  EXPECT_THAT(result.out,
              HasSubstr("shards of 3: " + std::to_string(counts[0]) + " " +
                        std::to_string(counts[1]) + " " + std::to_string(counts[2]) +
                        " cases; this is shard 2 (" + std::to_string(counts[2]) + " cases)"));
}

TEST_F(ShardMerge, ShardFromTheSchedulersVariables) {
  RunOptions slurm;
  slurm.env = {{"SLURM_ARRAY_TASK_ID", "11"},
               {"SLURM_ARRAY_TASK_MIN", "10"},
               {"SLURM_ARRAY_TASK_COUNT", "3"}};
  ProcessResult result = promptbench(
      m_dir, {"eval", "-q", "--cache", "cache.db", "--shard", "auto", "-o", "s.json"}, slurm);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(report("s.json")["run"]["shard"]["index"], 1);
  EXPECT_EQ(report("s.json")["run"]["shard"]["count"], 3);
  RunOptions k8s;
  k8s.env = {{"JOB_COMPLETION_INDEX", "4"}};
  result = promptbench(
      m_dir, {"eval", "-q", "--cache", "cache.db", "--shard", "auto/5", "-o", "k.json"}, k8s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(report("k.json")["run"]["shard"]["index"], 4);
  RunOptions none;
  none.unset_env = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"};
  result = promptbench(m_dir, {"eval", "-q", "--shard", "auto/5", "-o", "x.json"}, none);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--shard auto/5: neither JOB_COMPLETION_INDEX"));
}

}  // namespace
}  // namespace shard_merge_test
}  // namespace promptbench::testing
