// SPDX-License-Identifier: Apache-2.0
// A broken run never ends green: endpoints that fail every request or some of them, judges
// and scorers that fail, gates over unscored cases, metrics with nothing to score, secrets a
// server echoes back, and interrupts. Each run is the real binary against the stub.
#include <signal.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace fail_loudly_test {
namespace {

using nlohmann::json;

/// `cases` rows c0..c{cases-1}; the stub echoes "yes c<i>" and the label is "yes".
std::string rows(int cases) {
  std::string text;
  for (int i = 0; i < cases; ++i) {
    text += fmt::format(R"({{"id": "c{}", "answer": "yes", "label": "yes"}})", i) + "\n";
  }
  return text;
}

/// One prompt (`p`) or two (`p`, `q`) on provider `s`; `extra` goes into the provider entry
/// and `tail` after the metrics.
std::string config(const std::string& base_url, const std::string& extra = "",
                   const std::string& tail = "", bool two_prompts = false) {
  std::string text = fmt::format(R"(name: loud
providers:
  - {{id: s, base_url: "{}", model: m, retries: 0{}}}
prompts:
  - {{id: p, template: "{{{{answer}}}} {{{{id}}}}"}}
)",
                                 base_url, extra);
  if (two_prompts) {
    text += "  - {id: q, template: \"{{answer}} {{id}}!\"}\n";
  }
  return text + R"cfg(dataset: {path: data.jsonl, reference: label, id: id}
extract: {regex: "^(\\w+)", group: 1}
metrics: [exact_match]
)cfg" + tail;
}

ProcessResult eval(const TempDir& dir, std::vector<std::string> extra = {},
                   RunOptions options = {}) {
  std::vector<std::string> args = {"eval", "cfg.yaml", "-q", "-o", "report.json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return promptbench(dir, args, std::move(options));
}

json report_of(const TempDir& dir) {
  return json::parse(read_file(dir.path() / "report.json"));
}

TEST(FailLoudly, AnEndpointAnsweringEveryRequestWith401ExitsThreeAndSaysWhy) {
  StubServer stub(
      {"--answer-status", "401", "--answer-body",
       R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})"});
  TempDir dir;
  dir.write("data.jsonl", rows(20));
  dir.write("cfg.yaml", config(stub.base_url()));
  const ProcessResult run = eval(dir);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.err,
            "promptbench: error: 20 of 20 requests failed (http_status 401: Incorrect API key "
            "provided); first: case c0, variant p/s\n"
            "promptbench: error: the run could not complete: 20 errors and 0 allowed; every "
            "report was written (report.json); to accept some errors, use --max-errors N or N% "
            "(or max_errors: in the config)\n");
  // The run went to the end: every case was tried once and the report is complete.
  EXPECT_EQ(stub.stats()["requests"], 20);
  const json report = report_of(dir);
  EXPECT_EQ(report["run"]["complete"], true);
  EXPECT_EQ(report["run"]["errors"]["failed"], 20);
  EXPECT_EQ(report["run"]["errors"]["requests"]["by_kind"]["http_status"], 20);
  EXPECT_EQ(report["run"]["errors"]["requests"]["first"]["case"], "c0");
  // Nothing was scored: the figures are null, not 0 and [0, 0].
  const json& metric = report["variants"][0]["metrics"]["exact_match"];
  EXPECT_EQ(metric["n"], 0);
  EXPECT_EQ(metric["unscored"], 20);
  EXPECT_TRUE(metric["mean"].is_null()) << metric.dump();
  EXPECT_TRUE(metric["ci95"].is_null()) << metric.dump();
}

TEST(FailLoudly, AWrongPathAnHtmlPageAndEmptyChoicesAllExitThree) {
  struct Broken {
    std::vector<std::string> stub_args;
    std::string path;  ///< appended to the stub's base URL
    std::string expected;
  };
  const std::vector<Broken> broken = {
      {{},
       "/nowhere",
       "promptbench: error: 3 of 3 requests failed (http_status 404: stub: no route for POST "
       "/v1/nowhere/chat/completions); first: case c0, variant p/s\n"},
      {{"--answer-body", "<html><body>Service moved</body></html>"},
       "",
       "promptbench: error: 3 of 3 requests failed (bad_response: response body is not valid "
       "JSON: '<html><body>Service moved</body></html>'); first: case c0, variant p/s\n"},
      {{"--answer-body", R"({"choices": []})"},
       "",
       "promptbench: error: 3 of 3 requests failed (bad_response: response has no "
       "choices[0].message); first: case c0, variant p/s\n"},
  };
  for (const Broken& b : broken) {
    StubServer stub(b.stub_args);
    TempDir dir;
    dir.write("data.jsonl", rows(3));
    dir.write("cfg.yaml", config(stub.base_url() + b.path));
    const ProcessResult run = eval(dir);
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_EQ(run.err.substr(0, run.err.find('\n') + 1), b.expected);
  }
}

TEST(FailLoudly, AThirdOfRequestsFailingNeverPassesAGateOnTheSurvivors) {
  // A seeded third of the answers are 500s (retries: 0): the survivors all pass.
  StubServer stub({"--answer-status", "500", "--answer-rate", "0.33", "--seed", "5"});
  TempDir dir;
  dir.write("data.jsonl", rows(60));
  dir.write("cfg.yaml", config(stub.base_url()));
  const ProcessResult gated = eval(dir, {"--no-cache", "--gate", "exact_match>=0.5 on ci_low"});
  EXPECT_EQ(gated.exit_code, 3) << gated.err;
  const json report = report_of(dir);
  const std::size_t failed = report["run"]["errors"]["failed"].get<std::size_t>();
  ASSERT_GT(failed, 10u);
  ASSERT_LT(failed, 35u);
  EXPECT_NE(gated.err.find(fmt::format("promptbench: error: {} of 60 requests failed (http_status "
                                       "500",
                                       failed)),
            std::string::npos)
      << gated.err;
  EXPECT_NE(gated.err.find(fmt::format("promptbench: gate failed (1 of 1): p/s exact_match: {} "
                                       "results unscored (max_unscored 0); ci95 [",
                                       failed)),
            std::string::npos)
      << gated.err;
  EXPECT_EQ(report["gates"][0]["passed"], false);
  EXPECT_EQ(report["gates"][0]["unscored"], failed);

  // Errors allowed: the run's failures are accepted, the gate still sees them (exit 1) ...
  const ProcessResult allowed =
      eval(dir, {"--no-cache", "--max-errors", "50%", "--gate", "exact_match>=0.5 on ci_low"});
  EXPECT_EQ(allowed.exit_code, 1) << allowed.err;
  EXPECT_NE(allowed.err.find("requests failed"), std::string::npos) << allowed.err;
  // ... unless the gate says how many unscored results it tolerates.
  dir.write("cfg.yaml", config(stub.base_url(), "",
                               "gates: [{metric: exact_match, min: 0.5, max_unscored: 60%}]\n"));
  const ProcessResult tolerant = eval(dir, {"--no-cache", "--max-errors", "50%"});
  EXPECT_EQ(tolerant.exit_code, 0) << tolerant.err;
  EXPECT_NE(tolerant.err.find("requests failed"), std::string::npos)
      << "failures are said even when allowed: " << tolerant.err;
}

TEST(FailLoudly, MaxErrorsInTheConfigIsTheAllowanceAndStopsTheRunOnceExceeded) {
  StubServer stub({"--answer-status", "503", "--answer-rate", "0.5", "--seed", "8"});
  TempDir dir;
  dir.write("data.jsonl", rows(300));
  dir.write("cfg.yaml", config(stub.base_url(), ", concurrency: 2", "max_errors: 5\n"));
  const ProcessResult run = eval(dir, {"--no-cache", "-j", "2"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("promptbench: error: stopped early: 6 errors exceed the allowance of 5 "
                         "(--max-errors); the partial report is in report.json\n"),
            std::string::npos)
      << run.err;
  const json report = report_of(dir);
  EXPECT_EQ(report["run"]["stop_reason"], "max_errors");
  EXPECT_LT(stub.stats()["requests"].get<int>(), 100);
}

TEST(FailLoudly, TwoVariantsWithNothingPairedSayNoPairedCases) {
  StubServer stub({"--answer-status", "401"});
  TempDir dir;
  dir.write("data.jsonl", rows(4));
  dir.write("cfg.yaml", config(stub.base_url(), "", "", true));
  const ProcessResult run = eval(dir);
  EXPECT_EQ(run.exit_code, 3);
  const json report = report_of(dir);
  ASSERT_EQ(report["comparisons"].size(), 1u);
  EXPECT_EQ(report["comparisons"][0]["verdict"], "no_paired_cases");
  EXPECT_EQ(report["comparisons"][0]["n"], 0);
  const ProcessResult table = promptbench(dir, {"eval", "cfg.yaml", "-o", "report.json"});
  EXPECT_NE(table.out.find("no paired cases"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("no significant difference"), std::string::npos) << table.out;
}

TEST(FailLoudly, AJudgeThatNeverAnswersFailsTheRun) {
  StubServer model;
  StubServer judge(
      {"--answer-status", "401", "--answer-body", R"({"error":{"message":"bad judge key"}})"});
  TempDir dir;
  dir.write("data.jsonl", rows(5));
  dir.write("cfg.yaml", fmt::format(R"(name: judged
providers:
  - {{id: s, base_url: "{}", model: m, retries: 0}}
judges:
  - {{id: grader, base_url: "{}", model: j, retries: 0}}
prompts:
  - {{id: p, template: "{{{{answer}}}} {{{{id}}}}"}}
dataset: {{path: data.jsonl, reference: label, id: id}}
metrics:
  - llm_judge: {{judge: grader, rubric: "Rate {{{{output}}}}. Score: N"}}
)",
                                    model.base_url(), judge.base_url()));
  const ProcessResult run = eval(dir);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("promptbench: error: 5 of 5 judge requests failed (http_status 401: bad "
                         "judge key); first: case c0, variant p/s, judge grader\n"),
            std::string::npos)
      << run.err;
  const json report = report_of(dir);
  EXPECT_EQ(report["run"]["errors"]["judges"]["failed"], 5);
  EXPECT_EQ(report["run"]["errors"]["requests"]["failed"], 0);
}

TEST(FailLoudly, AScorerThatFailsFailsTheRun) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", rows(3));
  // A scorer that answers garbage to every line.
  dir.write("scorer.sh", "#!/bin/sh\nwhile read -r line; do echo 'not json'; done\n");
  std::filesystem::permissions(dir.path() / "scorer.sh", std::filesystem::perms::owner_all);
  dir.write(
      "cfg.yaml",
      replace_all(config(stub.base_url()), "metrics: [exact_match]",
                  "metrics:\n  - exact_match\n  - command: {name: mine, run: [./scorer.sh]}"));
  const ProcessResult run = eval(dir);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("promptbench: error: 3 of 3 scorer calls failed (scorer: "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("first: case c0, variant p/s, metric mine\n"), std::string::npos)
      << run.err;
}

TEST(FailLoudly, AKeyTheServerEchoesBackReachesNoFileAndNoStream) {
  const std::string secret = "sk-loud-test-0123456789abcdef";
  StubServer stub({"--answer-status", "401", "--answer-body",
                   R"({"error":{"message":"Incorrect API key provided: {authorization}"}})"});
  TempDir dir;
  dir.write("data.jsonl", rows(4));
  dir.write("cfg.yaml", config(stub.base_url(), ", api_key_env: PB_LOUD_KEY"));
  RunOptions options;
  options.env = {{"PB_LOUD_KEY", secret}};
  const ProcessResult run = eval(
      dir, {"-v", "--progress", "always", "--junit", "r.xml", "--md", "r.md", "--csv", "r.csv"},
      options);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_EQ(stub.stats()["authorization_seen"], 4) << "the key must still be sent";
  EXPECT_NE(run.err.find("Incorrect API key provided: Bearer <redacted>"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find(secret), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file() && entry.path().filename() != "cfg.yaml") {
      ++files;
      EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos) << entry.path();
    }
  }
  EXPECT_GE(files, 5u);  // data, report, JUnit, Markdown, CSV (+ the cache)
  // dry-run and render print no secret either; a URL's password is redacted too.
  dir.write("cfg.yaml", config(replace_all(stub.base_url(), "http://", "http://user:hunter22@"),
                               ", api_key_env: PB_LOUD_KEY"));
  const ProcessResult dry = promptbench(dir, {"eval", "cfg.yaml", "--dry-run"}, options);
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out.find("hunter22"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("http://<redacted>@127.0.0.1"), std::string::npos) << dry.out;
}

TEST(FailLoudly, ASecretFromAVariableInTheBaseUrlIsRedactedEverywhere) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", rows(2));
  dir.write("cfg.yaml", config(stub.base_url() + "/${PB_PATH_TOKEN}"));
  RunOptions options;
  options.env = {{"PB_PATH_TOKEN", "tok-9f8e7d6c5b"}};
  const ProcessResult run = eval(dir, {}, options);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  // The stub names the path it did not find: the token in it is redacted.
  EXPECT_NE(run.err.find("(http_status 404: stub: no route for POST "
                         "/v1/<redacted>/chat/completions); first: case c0"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(read_file(dir.path() / "report.json").find("tok-9f8e7d6c5b"), std::string::npos);
}

TEST(FailLoudly, ASecondInterruptLeavesNoTemporaryFileAndSaysWhatItKept) {
  StubServer stub({"--latency-ms", "3000"});
  TempDir dir;
  dir.write("data.jsonl", rows(8));
  dir.write("cfg.yaml", config(stub.base_url()));
  ChildProcess child;
  RunOptions options;
  options.working_dir = dir.path().string();
  child.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "out/report.json"}, options);
  // Wait until the run is under way (its spool file exists), then interrupt twice.
  const auto spool = dir.path() / "out" / "report.json.cases.tmp";
  for (int i = 0; i < 100 && !std::filesystem::exists(spool); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(spool));
  child.send_signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  child.send_signal(SIGINT);
  const ProcessResult run = child.wait();
  EXPECT_EQ(run.exit_code, 130);
  EXPECT_EQ(run.err,
            "\npromptbench: interrupted twice: stopped at once without a report "
            "(out/report.json is as it was); the answers received so far are in the cache "
            ".promptbench/cache.db: run the same command again to resume\n");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() / "out")) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
}

TEST(FailLoudly, APartialReportCountsTheCasesEvaluatedAndJUnitMarksIt) {
  StubServer stub({"--latency-ms", "400"});
  TempDir dir;
  dir.write("data.jsonl", rows(40));
  dir.write("cfg.yaml", config(stub.base_url(), ", concurrency: 4"));
  ChildProcess child;
  RunOptions options;
  options.working_dir = dir.path().string();
  child.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "report.json", "--no-cache",
               "--junit", "r.xml"},
              options);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  child.send_signal(SIGINT);
  const ProcessResult run = child.wait();
  ASSERT_EQ(run.exit_code, 130) << run.err;
  const json report = report_of(dir);
  const std::size_t evaluated = report["run"]["cases_evaluated"].get<std::size_t>();
  EXPECT_GT(evaluated, 0u);
  EXPECT_LT(evaluated, 40u);
  EXPECT_EQ(report["run"]["dataset"]["cases"], 40);
  EXPECT_EQ(report["variants"][0]["cases"], evaluated);
  EXPECT_EQ(report["cases"].size(), evaluated);
  EXPECT_NE(run.err.find(fmt::format("promptbench: interrupted: partial report ({} of 40 cases) "
                                     "written to report.json; a re-run starts over (--no-cache)",
                                     evaluated)),
            std::string::npos)
      << run.err;
  const std::string junit = read_file(dir.path() / "r.xml");
  EXPECT_NE(junit.find(fmt::format("<error message=\"incomplete run (interrupted): {} of 40 cases "
                                   "evaluated\" type=\"run\">",
                                   evaluated)),
            std::string::npos)
      << junit;
}

}  // namespace
}  // namespace fail_loudly_test
}  // namespace promptbench::testing
