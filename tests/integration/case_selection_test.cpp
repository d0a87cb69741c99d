// SPDX-License-Identifier: Apache-2.0
// Choosing cases with the real binary against the stub: --sample gives the same subset of the
// requested size every time, --filter-failing re-runs exactly the failed cases of a report
// (repeats, two variants, failed requests), --case and a selection of nothing exit 2, and the
// shards of a selection merge into the selection's run.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace case_selection_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int kRows = 40;

/// Two prompts, repeat 2; the echo stub answers the text, and one row in three has another
/// label, so exact_match fails there; --fail-400 makes some requests fail too.
std::string config(const StubServer& stub) {
  return R"yaml(name: selection
providers:
  - {id: local, base_url: ")yaml" +
         stub.base_url() + R"yaml(", model: m, retries: 0}
prompts:
  - {id: echo, template: "{{text}}"}
  - {id: again, template: "{{text}}"}
dataset: {path: rows.jsonl, reference: label, id: id}
repeat: 2
max_errors: 100%
metrics: [exact_match, latency]
)yaml";
}

std::string rows(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const std::string answer = "answer " + std::to_string(i);
    text += json{{"id", "row-" + std::to_string(i)},
                 {"text", answer},
                 {"label", i % 3 == 0 ? "other" : answer}}
                .dump() +
            "\n";
  }
  return text;
}

std::vector<std::string> case_ids(const json& report) {
  std::vector<std::string> ids;
  for (const json& c : report["cases"]) {
    ids.push_back(c["id"]);
  }
  return ids;
}

/// The cases of a report with an error, or a false pass flag, in any result.
std::set<std::string> failed_ids(const json& report, bool errors_only) {
  std::set<std::string> ids;
  for (const json& c : report["cases"]) {
    for (const json& result : c["results"]) {
      bool failed = !result["error"].is_null();
      if (!errors_only && result.contains("pass")) {
        for (const auto& [metric, pass] : result["pass"].items()) {
          failed = failed || pass == false;
        }
      }
      if (failed) {
        ids.insert(c["id"].get<std::string>());
      }
    }
  }
  return ids;
}

class CaseSelection : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", config(m_stub));
    m_dir.write("rows.jsonl", rows(kRows));
  }

  ProcessResult eval(std::vector<std::string> args) {
    args.insert(args.begin(), {"eval", "-q", "--no-cache"});
    return promptbench(m_dir, args);
  }

  json report(const std::string& name) const { return json::parse(read_file(m_dir.path() / name)); }

  StubServer m_stub{{"--fail-400", "0.1", "--seed", "5"}};
  TempDir m_dir;
};

TEST_F(CaseSelection, SampleGivesTheSameSubsetOfTheRequestedSizeEveryTime) {
  ASSERT_EQ(eval({"--sample", "7", "--seed", "3", "-o", "a.json"}).exit_code, 0);
  ASSERT_EQ(eval({"--sample", "7", "--seed", "3", "-o", "b.json"}).exit_code, 0);
  const json a = report("a.json");
  EXPECT_EQ(case_ids(a).size(), 7u);
  EXPECT_EQ(case_ids(a), case_ids(report("b.json")));
  EXPECT_EQ(a["run"]["dataset"]["cases"], kRows);
  EXPECT_EQ(a["run"]["shard"]["cases"], 7);
  EXPECT_EQ(a["run"]["selection"], json::parse(R"({"sample":7,"seed":3,"cases":7})"));
  // Another seed, another sample (of the same size).
  ASSERT_EQ(eval({"--sample", "7", "--seed", "4", "-o", "c.json"}).exit_code, 0);
  EXPECT_EQ(case_ids(report("c.json")).size(), 7u);
  EXPECT_NE(case_ids(report("c.json")), case_ids(a));
}

TEST_F(CaseSelection, DryRunShowsWhatWasSelected) {
  const ProcessResult dry = promptbench(
      m_dir, {"eval", "--dry-run", "--no-cache", "--case-pattern", "^row-1", "--sample", "5"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("selected 5 of 40 cases (--case-pattern ^row-1, --sample 5 "
                                 "--seed 0): row-1"));
  EXPECT_THAT(dry.out, HasSubstr("dry run: 5 cases x 2 variants x 2 repeats = 20 requests"));
}

TEST_F(CaseSelection, FilterFailingRerunsExactlyTheFailedCasesOfAReport) {
  const ProcessResult first = eval({"-o", "first.json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::set<std::string> failed = failed_ids(report("first.json"), false);
  const std::set<std::string> errored = failed_ids(report("first.json"), true);
  ASSERT_FALSE(errored.empty());  // --fail-400 0.1 over 160 requests
  ASSERT_LT(failed.size(), static_cast<std::size_t>(kRows));

  ASSERT_EQ(eval({"--filter-failing", "first.json", "-o", "failing.json"}).exit_code, 0);
  const std::vector<std::string> rerun = case_ids(report("failing.json"));
  EXPECT_EQ(std::set<std::string>(rerun.begin(), rerun.end()), failed);
  EXPECT_EQ(rerun.size(), failed.size());
  EXPECT_EQ(report("failing.json")["run"]["selection"]["filter_failing"], "first.json");

  ASSERT_EQ(eval({"--filter-errors-only", "first.json", "-o", "errors.json"}).exit_code, 0);
  const std::vector<std::string> retried = case_ids(report("errors.json"));
  EXPECT_EQ(std::set<std::string>(retried.begin(), retried.end()), errored);
}

TEST_F(CaseSelection, CasesByIdAndPatternAndTheirErrors) {
  ASSERT_EQ(eval({"--case", "row-3", "--case", "row-12", "-o", "ids.json"}).exit_code, 0);
  EXPECT_EQ(case_ids(report("ids.json")), (std::vector<std::string>{"row-3", "row-12"}));
  EXPECT_EQ(report("ids.json")["cases"][1]["index"], 12);

  const ProcessResult unknown = eval({"--case", "row-3", "--case", "row-99"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--case row-99: no such case id"));

  const ProcessResult nothing = eval({"--case-pattern", "^nope"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.err, HasSubstr("the selection (--case-pattern ^nope) selects none of the "
                                     "40 cases"));

  const ProcessResult seed_alone = eval({"--seed", "4"});
  EXPECT_EQ(seed_alone.exit_code, 2);
  EXPECT_THAT(seed_alone.err, HasSubstr("--sample"));
}

TEST_F(CaseSelection, TheShardsOfASampleMergeIntoTheSample) {
  ASSERT_EQ(eval({"--sample", "9", "--shard", "0/2", "-o", "s0.json"}).exit_code, 0);
  ASSERT_EQ(eval({"--sample", "9", "--shard", "1/2", "-o", "s1.json"}).exit_code, 0);
  ASSERT_EQ(eval({"--sample", "9", "-o", "whole.json"}).exit_code, 0);
  const ProcessResult merged =
      promptbench(m_dir, {"merge", "-q", "s0.json", "s1.json", "-o", "merged.json"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const json m = report("merged.json");
  EXPECT_EQ(case_ids(m), case_ids(report("whole.json")));
  EXPECT_EQ(m["run"]["selection"], report("whole.json")["run"]["selection"]);
  EXPECT_EQ(m["run"]["shard"]["cases"], 9);
  EXPECT_EQ(m["run"]["dataset"]["cases"], kRows);
  // The unselected cases are not unscored: only the parts' failed requests are (the stub's
  // faults are drawn per run, so the parts are the reference, not the whole run).
  const auto unscored = [&](const json& r) {
    return r["variants"][0]["metrics"]["exact_match"]["unscored"].get<int>();
  };
  EXPECT_EQ(unscored(m), unscored(report("s0.json")) + unscored(report("s1.json")));

  // A part of another selection is refused.
  ASSERT_EQ(eval({"--sample", "8", "--shard", "1/2", "-o", "other.json"}).exit_code, 0);
  const ProcessResult refused =
      promptbench(m_dir, {"merge", "-q", "s0.json", "other.json", "-o", "bad.json"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("run.selection"));
}

}  // namespace
}  // namespace case_selection_test
}  // namespace promptbench::testing
