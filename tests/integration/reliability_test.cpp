// SPDX-License-Identifier: Apache-2.0
// The request engine against a faulty endpoint, over real HTTP: every case ends scored
// exactly once, runs killed at any point resume without re-sending answered requests,
// Ctrl-C leaves a partial report, caches are shareable, secrets stay secret.
#include <signal.h>

#include <algorithm>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace reliability_test {
namespace {

using std::chrono::milliseconds;

/// `cases` rows whose answer is `yes` or `no` (seeded); the label matches every third.
std::string make_rows(int cases) {
  std::mt19937 rng(11);
  std::string rows;
  for (int i = 0; i < cases; ++i) {
    const std::string answer = rng() % 2 == 0 ? "yes" : "no";
    const std::string label = i % 3 == 0 ? answer : (answer == "yes" ? "no" : "yes");
    rows +=
        fmt::format(R"({{"id": "c{}", "answer": "{}", "label": "{}"}})", i, answer, label) + "\n";
  }
  return rows;
}

/// A config whose prompts make every request body unique (the case id is in it) and whose
/// extraction pulls the answer back out of the stub's echo.
std::string make_config(const StubServer& stub, const std::string& provider_extra,
                        bool two_prompts = true) {
  std::string config = fmt::format(R"(name: reliability
providers:
  - {{id: stub, base_url: "{}", model: m, concurrency: 64, timeout: 20s{}}}
prompts:
  - {{id: plain, template: "{{{{answer}}}} {{{{id}}}}"}}
)",
                                   stub.base_url(), provider_extra);
  if (two_prompts) {
    config += R"(  - id: chat
    messages:
      - {role: system, content: "Be terse."}
      - {role: user, content: "{{answer}} {{id}}"}
)";
  }
  config += R"cfg(dataset: {path: data.jsonl, reference: label, id: id}
extract: {regex: "^(\\w+)", group: 1}
metrics: [exact_match]
)cfg";
  return config;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file(path));
}

ProcessResult eval(const TempDir& dir, std::vector<std::string> extra = {},
                   const RunOptions& base = {}) {
  std::vector<std::string> argv = {promptbench_bin(), "eval", "cfg.yaml", "-q", "-o",
                                   "report.json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunOptions options = base;
  options.working_dir = dir.path().string();
  return run_process(argv, options);
}

int ok_answers(const nlohmann::json& stats) {
  return stats["by_status"].contains("200") ? stats["by_status"]["200"].get<int>() : 0;
}

/// Waits until the stub has no request left in its handlers (after killing a client).
nlohmann::json settled_stats(const StubServer& stub) {
  nlohmann::json previous = stub.stats();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    nlohmann::json now = stub.stats();
    if (now == previous) {
      return now;
    }
    previous = now;
  }
  return previous;
}

TEST(Reliability, EveryCaseIsScoredExactlyOnceDespiteInjectedFaults) {
  StubServer stub({"--fail-500", "0.1", "--fail-429", "0.1", "--retry-after", "1", "--drop", "0.05",
                   "--seed", "3"});
  TempDir dir;
  const int cases = 1000;
  dir.write("data.jsonl", make_rows(cases));
  dir.write("cfg.yaml", make_config(stub, ", retries: 8"));
  const ProcessResult run = eval(dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const nlohmann::json report = read_json(dir.path() / "report.json");
  ASSERT_EQ(report["cases"].size(), static_cast<std::size_t>(cases));
  for (const auto& variant : report["variants"]) {
    EXPECT_EQ(variant["errors"], 0) << variant.dump();
    EXPECT_EQ(variant["metrics"]["exact_match"]["n"], cases);
    EXPECT_NEAR(variant["metrics"]["exact_match"]["mean"].get<double>(), 334.0 / cases, 1e-9);
  }
  const nlohmann::json stats = stub.stats();
  EXPECT_EQ(stats["unique_bodies"], 2 * cases);
  EXPECT_EQ(ok_answers(stats), 2 * cases);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 0);
  EXPECT_GT(stats["by_status"]["500"].get<int>(), 100);
  EXPECT_GT(stats["by_status"]["429"].get<int>(), 100);
  EXPECT_GT(stats["dropped"].get<int>(), 20);
  // The report's attempt counts agree with what the server saw, drops aside (libcurl
  // silently repeats a request once when a reused connection closes before answering).
  const int attempts =
      report["variants"][0]["attempts"].get<int>() + report["variants"][1]["attempts"].get<int>();
  EXPECT_LE(attempts, stats["requests"].get<int>());
  EXPECT_GE(attempts, stats["requests"].get<int>() - stats["dropped"].get<int>());
  EXPECT_EQ(
      report["variants"][0]["retries"].get<int>() + report["variants"][1]["retries"].get<int>(),
      attempts - 2 * cases);
}

TEST(Reliability, ARunKilledAtRandomPointsResumesWithoutResendingAnsweredRequests) {
  StubServer stub({"--latency-ms", "20"});
  TempDir dir;
  const int cases = 600;
  dir.write("data.jsonl", make_rows(cases));
  dir.write("cfg.yaml", make_config(stub, "", false));
  std::mt19937 rng(5);
  int sent_before = 0;
  for (int kill = 0; kill < 3; ++kill) {
    ChildProcess child;
    RunOptions options;
    options.working_dir = dir.path().string();
    child.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "report.json", "-j", "8"},
                options);
    // Kill at a random point after this run has started sending (start-up time varies
    // with the build, e.g. under sanitizers).
    for (int wait = 0; wait < 200 && stub.stats()["requests"].get<int>() <= sent_before; ++wait) {
      std::this_thread::sleep_for(milliseconds(25));
    }
    std::this_thread::sleep_for(milliseconds(rng() % 150));
    ASSERT_TRUE(child.send_signal(SIGKILL));
    EXPECT_EQ(child.wait().exit_code, 128 + SIGKILL);
    const int sent_now = settled_stats(stub)["requests"].get<int>();
    EXPECT_GT(sent_now, sent_before) << "each run makes progress";
    sent_before = sent_now;
  }
  const int answered_before = ok_answers(settled_stats(stub));
  ASSERT_LT(answered_before, cases) << "the kills came too late to test resuming";

  const ProcessResult resumed = eval(dir, {"-j", "8"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["run"]["complete"], true);
  ASSERT_EQ(report["cases"].size(), static_cast<std::size_t>(cases));
  EXPECT_EQ(report["variants"][0]["errors"], 0);
  EXPECT_EQ(report["variants"][0]["metrics"]["exact_match"]["n"], cases);
  std::set<std::string> ids;
  for (const auto& reported : report["cases"]) {
    ids.insert(reported["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(cases)) << "no case is reported twice";
  const int cached = report["variants"][0]["cache_hits"].get<int>();
  const nlohmann::json stats = stub.stats();
  // Only what the journal did not hold was sent again...
  EXPECT_EQ(stats["requests"].get<int>() - sent_before, cases - cached);
  // ...and each kill lost at most the answers of the requests in flight (-j 8) plus one
  // journal window, which never holds more answers than run at once (8): at most 16 answers
  // per kill were paid for twice, whenever the kill came.
  const int lost_per_kill = 8 + 8;
  EXPECT_LE(stats["bodies_answered_ok_more_than_once"].get<int>(), 3 * lost_per_kill);
  EXPECT_GE(cached, answered_before - 3 * lost_per_kill);
}

TEST(Reliability, InterruptWritesAPartialReportAndExits130ThenARerunCompletes) {
  StubServer stub({"--latency-ms", "20"});
  TempDir dir;
  const int cases = 400;
  dir.write("data.jsonl", make_rows(cases));
  dir.write("cfg.yaml", make_config(stub, "", false));
  ChildProcess child;
  RunOptions options;
  options.working_dir = dir.path().string();
  child.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "report.json", "-j", "4"},
              options);
  for (int wait = 0; wait < 200 && stub.stats()["requests"].get<int>() < 20; ++wait) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_TRUE(child.send_signal(SIGINT));
  const ProcessResult interrupted = child.wait();
  ASSERT_EQ(interrupted.exit_code, 130) << interrupted.err;
  const nlohmann::json partial = read_json(dir.path() / "report.json");
  EXPECT_EQ(partial["run"]["complete"], false);
  EXPECT_EQ(partial["run"]["stop_reason"], "interrupted");
  const std::size_t scored = partial["cases"].size();
  EXPECT_EQ(partial["run"]["cases_evaluated"], scored);
  EXPECT_NE(interrupted.err.find(fmt::format("interrupted: partial report ({} of {} cases) "
                                             "written to report.json; run the same command "
                                             "again to finish",
                                             scored, cases)),
            std::string::npos)
      << interrupted.err;
  EXPECT_GT(scored, 0u);
  EXPECT_LT(scored, static_cast<std::size_t>(cases));
  EXPECT_EQ(partial["variants"][0]["metrics"]["exact_match"]["n"], scored);

  const ProcessResult rerun = eval(dir, {"-j", "16"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["run"]["complete"], true);
  EXPECT_EQ(report["cases"].size(), static_cast<std::size_t>(cases));
  EXPECT_EQ(report["variants"][0]["cache_hits"].get<std::size_t>(), scored);
  EXPECT_EQ(stub.stats()["bodies_answered_ok_more_than_once"], 0);
}

TEST(Reliability, TwoProcessesShareOneCacheFile) {
  StubServer stub({"--latency-ms", "5"});
  TempDir dir;
  const int cases = 300;
  dir.write("data.jsonl", make_rows(cases));
  dir.write("cfg.yaml", make_config(stub, ""));
  const std::string cache = (dir.path() / "shared.db").string();
  RunOptions options;
  options.working_dir = dir.path().string();
  ChildProcess first;
  ChildProcess second;
  first.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "a.json", "--cache", cache},
              options);
  second.start({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "b.json", "--cache", cache},
               options);
  const ProcessResult a = first.wait();
  const ProcessResult b = second.wait();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (const char* name : {"a.json", "b.json"}) {
    const nlohmann::json report = read_json(dir.path() / name);
    EXPECT_EQ(report["cases"].size(), static_cast<std::size_t>(cases)) << name;
    EXPECT_EQ(report["variants"][0]["errors"], 0) << name;
  }
  // A third run is answered entirely from the shared file: it is whole, not corrupted.
  const int sent = stub.stats()["requests"].get<int>();
  const ProcessResult third = eval(dir, {"--cache", cache});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(stub.stats()["requests"].get<int>(), sent);
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["variants"][0]["cache_hits"], cases);
  EXPECT_EQ(report["variants"][1]["cache_hits"], cases);
}

TEST(Reliability, TheApiKeyAppearsInNoFileOrStreamTheRunWrites) {
  StubServer stub({"--fail-500", "0.3", "--seed", "9"});
  TempDir dir;
  const std::string secret = "sk-promptbench-test-5ecr3t-value";
  dir.write("data.jsonl", make_rows(50));
  dir.write("cfg.yaml", make_config(stub, ", api_key_env: PB_SECRET_KEY, retries: 1"));
  RunOptions options;
  options.env = {{"PB_SECRET_KEY", secret}};
  const ProcessResult run = eval(dir, {"-v", "--progress", "always"}, options);
  // One retry against 30% of 500s leaves some requests failed: exit 3, said on stderr.
  ASSERT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("requests failed (http_status 500: stub: injected server error)"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("failed (2 attempts): http_status 500: stub: injected server error"),
            std::string::npos)
      << "-v names each failure: " << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos);
  EXPECT_EQ(run.err.find(secret), std::string::npos);
  EXPECT_GT(stub.stats()["authorization_seen"].get<int>(), 0) << "the key must still be sent";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos) << entry.path();
    }
  }
  EXPECT_GE(files, 4u);  // config, data, report, cache (+ WAL files)
}

TEST(Reliability, MaxErrorsStopsTheRunWithExit3AndAPartialReport) {
  StubServer stub({"--fail-400", "0.5", "--seed", "2"});
  TempDir dir;
  dir.write("data.jsonl", make_rows(400));
  dir.write("cfg.yaml", make_config(stub, ""));
  const ProcessResult run =
      eval(dir, {"--max-errors", "10", "-j", "4", "--junit", "r.xml", "--csv", "r.csv"});
  ASSERT_EQ(run.exit_code, 3) << run.err;
  // The run stops at the 11th failure; answers that arrived in the same turn (at most the
  // other -j 3 in flight) are real failures too and are counted.
  std::smatch stopped;
  ASSERT_TRUE(std::regex_search(run.err, stopped,
                                std::regex("promptbench: error: stopped early: ([0-9]+) errors "
                                           "exceed the allowance of 10 \\(--max-errors\\); the "
                                           "partial report is in report.json\n")))
      << run.err;
  const int failed = std::stoi(stopped[1]);
  EXPECT_GE(failed, 11);
  EXPECT_LE(failed, 14);
  EXPECT_NE(run.err.find(fmt::format("promptbench: error: {} of ", failed)), std::string::npos)
      << run.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["run"]["complete"], false);
  EXPECT_EQ(report["run"]["stop_reason"], "max_errors");
  EXPECT_LT(stub.stats()["requests"].get<int>(), 100);
  // The other formats asked for are written from the partial report, too.
  const std::string junit = read_file(dir.path() / "r.xml");
  EXPECT_NE(junit.find("<testsuites"), std::string::npos) << junit;
  const std::string csv = read_file(dir.path() / "r.csv");
  const auto rows = static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n'));
  std::size_t results = 0;
  for (const auto& c : report["cases"]) {
    results += c["results"].size();
  }
  EXPECT_EQ(rows, 1 + results) << csv;  // the header, then a row per case and variant
}

TEST(Reliability, MaxErrorsAcceptsAPercentageOfPlannedRequests) {
  StubServer stub({"--fail-400", "0.02", "--seed", "4"});
  TempDir dir;
  dir.write("data.jsonl", make_rows(200));
  dir.write("cfg.yaml", make_config(stub, ""));
  const ProcessResult run = eval(dir, {"--max-errors", "10%"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const ProcessResult bad = eval(dir, {"--max-errors", "lots"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "promptbench: error: --max-errors: expected a count like 10 or a percentage like 5%, "
            "got 'lots'\n");
}

TEST(Reliability, AnOversizedResponseIsARecordedErrorNotACrash) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", make_rows(5));
  dir.write("cfg.yaml", make_config(stub, ", max_response_bytes: 64", false));
  const ProcessResult run = eval(dir);
  ASSERT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("promptbench: error: 5 of 5 requests failed (too_large: response "
                         "larger than the 64 byte limit); first: case c0, variant plain/stub\n"),
            std::string::npos)
      << run.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["variants"][0]["errors"], 5);
  EXPECT_EQ(report["variants"][0]["errors_by_kind"]["too_large"], 5);
  EXPECT_EQ(report["cases"][0]["results"][0]["error"]["message"],
            "response larger than the 64 byte limit");
}

}  // namespace
}  // namespace reliability_test
}  // namespace promptbench::testing
