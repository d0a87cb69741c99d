// SPDX-License-Identifier: Apache-2.0
// `eval --show-failures [N]` and `eval --samples PATH` with the real binary against the stub.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace failures_samples_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// Two prompts, repeat 2, on the echo stub: rows 0 and 3 have another label, so `echo` fails
/// exact_match there (row 3's text has a newline and a tab); `loud` adds a word and fails
/// everywhere.
std::string config(const StubServer& stub) {
  return R"yaml(name: terminal
providers:
  - {id: local, base_url: ")yaml" +
         stub.base_url() + R"yaml(", model: m, retries: 0}
prompts:
  - {id: echo, template: "{{text}}"}
  - {id: loud, template: "{{text}} LOUD"}
dataset: {path: rows.jsonl, reference: label, id: id}
repeat: 2
metrics: [exact_match, latency]
)yaml";
}

std::string rows() {
  std::string text;
  for (int i = 0; i < 6; ++i) {
    const std::string answer = i == 3 ? "line one\nline\ttwo" : "answer " + std::to_string(i);
    text += json{{"id", "row-" + std::to_string(i)},
                 {"text", answer},
                 {"label", i == 0 || i == 3 ? "other" : answer}}
                .dump() +
            "\n";
  }
  return text;
}

class FailuresAndSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", config(m_stub));
    m_dir.write("rows.jsonl", rows());
  }

  ProcessResult eval(std::vector<std::string> args) {
    args.insert(args.begin(), {"eval", "--no-cache", "--color", "never"});
    return promptbench(m_dir, args);
  }

  StubServer m_stub;
  TempDir m_dir;
};

TEST_F(FailuresAndSamples, ShowFailuresListsTheFailedResultsOfEachVariantAfterTheTable) {
  const ProcessResult run = eval({"--show-failures", "3", "-o", "r.json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // echo/local fails on rows 0 and 3, twice each (repeats): 4 results, 3 shown.
  EXPECT_THAT(run.out, HasSubstr("failures of echo/local (4 results, the first 3 shown):\n"
                                 "  row-0 (repeat 0)  reference: other\n"
                                 "    output: answer 0\n"
                                 "    scores: exact_match=0 (fail), latency="));
  EXPECT_THAT(run.out, HasSubstr("  row-3 (repeat 0)  reference: other\n"
                                 "    output: line one\\nline\\ttwo\n"));
  // loud/local fails everywhere: 12 results.
  EXPECT_THAT(run.out, HasSubstr("failures of loud/local (12 results, the first 3 shown):"));
  EXPECT_LT(run.out.find("failures of"), run.out.find("report: r.json"));
  EXPECT_GT(run.out.find("failures of"), run.out.find("exact_match"));

  const ProcessResult defaulted = eval({"-o", "r2.json", "--show-failures"});
  ASSERT_EQ(defaulted.exit_code, 0) << defaulted.err;
  EXPECT_THAT(defaulted.out, HasSubstr("failures of loud/local (12 results, the first 5 shown):"));
}

TEST_F(FailuresAndSamples, ReportShowsTheFailuresOfAnExistingReport) {
  const ProcessResult run = eval({"-q", "-o", "r.json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const ProcessResult shown = promptbench(m_dir, {"report", "r.json", "--show-failures", "3"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("failures of echo/local (4 results, the first 3 shown):\n"
                                   "  row-0 (repeat 0)  reference: other\n"));
  EXPECT_THAT(shown.out, HasSubstr("failures of loud/local (12 results, the first 3 shown):"));
  const ProcessResult defaulted = promptbench(m_dir, {"report", "r.json", "--show-failures"});
  ASSERT_EQ(defaulted.exit_code, 0) << defaulted.err;
  EXPECT_THAT(defaulted.out, HasSubstr("failures of loud/local (12 results, the first 5 shown):"));
}

TEST_F(FailuresAndSamples, SamplesLinesEqualTheReportsResults) {
  const ProcessResult run = eval({"-q", "--samples", "out/samples.jsonl", "-o", "r.json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(read_file(m_dir.path() / "r.json"));
  std::istringstream lines(read_file(m_dir.path() / "out/samples.jsonl"));
  std::string line;
  std::size_t count = 0;
  for (const json& c : report["cases"]) {
    for (const json& result : c["results"]) {
      ASSERT_TRUE(std::getline(lines, line)) << "missing line " << count;
      const json sample = json::parse(line);
      EXPECT_EQ(sample["case_id"], c["id"]);
      EXPECT_EQ(sample["index"], c["index"]);
      EXPECT_EQ(sample["reference"], c["reference"]);
      for (const char* key :
           {"variant", "repeat", "output", "extracted", "scores", "latency_ms", "error"}) {
        EXPECT_EQ(sample[key], result[key]) << key << " of line " << count;
      }
      EXPECT_EQ(sample["pass"], result.value("pass", json::object()));
      ++count;
    }
  }
  EXPECT_EQ(count, 24u);  // 6 cases x 2 variants x 2 repeats
  EXPECT_FALSE(std::getline(lines, line)) << "extra line: " << line;
}

TEST_F(FailuresAndSamples, SamplesMayNotBeAnotherOutput) {
  const ProcessResult same = eval({"-q", "--samples", "./r.json", "-o", "r.json"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_THAT(same.err, HasSubstr("--samples ./r.json: the same file as -o r.json"));
  const ProcessResult csv = eval({"-q", "--csv", "x.csv", "--samples", "x.csv"});
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_THAT(csv.err, HasSubstr("the same file as --csv x.csv"));
  const ProcessResult stdout_samples = eval({"-q", "--samples", "-"});
  EXPECT_EQ(stdout_samples.exit_code, 2);
  EXPECT_THAT(stdout_samples.err, HasSubstr("--samples -: expected a file path"));
}

}  // namespace
}  // namespace failures_samples_test
}  // namespace promptbench::testing
