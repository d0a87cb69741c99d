// SPDX-License-Identifier: Apache-2.0
// The runner with --repeat K and a baseline: K requests per case and variant, a repeat index
// on every result and in the cache key, statistics over per-case means, comparisons.
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "promptbench/runner.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

/// Answers like an OpenAI endpoint echoing the last message, except that every second
/// request with the same body gets "wrong": samples 0, 2, ... are right, 1, 3, ... wrong.
class AlternatingEcho {
 public:
  TransferResult operator()(const HttpRequest& request) {
    const auto body = nlohmann::json::parse(request.body);
    const std::string text = body["messages"].back()["content"];
    const bool wrong = m_seen[request.body]++ % 2 == 1;
    HttpResponse response;
    response.status = 200;
    response.latency_ms = 5;
    response.body =
        nlohmann::json{{"choices", {{{"message", {{"content", wrong ? "wrong" : text}}}}}}}.dump();
    return response;
  }

 private:
  std::map<std::string, int> m_seen;
};

class Repeat : public ::testing::Test {
 protected:
  /// Three cases; every request body is distinct (the system message sets the prompts apart),
  /// so AlternatingEcho alternates per case and variant.
  Config config(const std::string& extra = "") {
    m_dir.write("data.jsonl",
                "{\"id\": \"a\", \"answer\": \"yes\", \"label\": \"yes\"}\n"
                "{\"id\": \"b\", \"answer\": \"no\", \"label\": \"si\"}\n"
                "{\"id\": \"c\", \"answer\": \"ok\", \"label\": \"ok\"}\n");
    return load_config(m_dir.write(
        "cfg.yaml", R"(providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m}]
prompts:
  - {id: plain, template: "{{answer}}"}
  - {id: label, messages: [{role: system, content: "Repeat."}, {role: user, content: "{{label}}"}]}
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match]
)" + extra));
  }

  RunOptions options() const {
    RunOptions run;
    run.output = m_dir.path() / "report.json";
    run.clock = &m_clock;  // backoff and rate limits pass without sleeping
    return run;
  }

  nlohmann::json read_report() const {
    std::ifstream in(m_dir.path() / "report.json");
    return nlohmann::json::parse(in);
  }

  testing::ScratchDir m_dir;
  mutable testing::FakeClock m_clock;
};

TEST_F(Repeat, SendsKRequestsPerCaseAndVariantAndAveragesPerCase) {
  AlternatingEcho responder;
  testing::FakeTransport transport(std::ref(responder));
  RunOptions run = options();
  run.repeat = 3;
  const ReportSummary summary = run_eval(config(), run, transport);
  EXPECT_EQ(transport.started.size(), 3u * 2u * 3u);
  EXPECT_EQ(summary.run.repeat, 3);
  // plain: cases a and c are right in samples 0 and 2 (2/3), b never: mean (2/3+0+2/3)/3.
  const MetricSummary& plain = summary.variants[0].metrics[0];
  EXPECT_EQ(plain.n, 3u);  // cases, not samples
  EXPECT_NEAR(plain.mean, 4.0 / 9.0, 1e-6);
  // label: right in samples 0 and 2 of every case: 2/3 each.
  EXPECT_NEAR(summary.variants[1].metrics[0].mean, 2.0 / 3.0, 1e-6);

  const auto report = read_report();
  EXPECT_EQ(report["run"]["repeat"], 3);
  const auto& results = report["cases"][0]["results"];
  ASSERT_EQ(results.size(), 6u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i]["variant"], i < 3 ? "plain/local" : "label/local");
    EXPECT_EQ(results[i]["repeat"], i % 3);
  }
}

TEST_F(Repeat, TakesTheConfigsRepeatUnlessTheOptionSetsOne) {
  AlternatingEcho responder;
  testing::FakeTransport transport(std::ref(responder));
  const Config with_repeat = config("repeat: 2\n");
  (void)run_eval(with_repeat, options(), transport);
  EXPECT_EQ(transport.started.size(), 3u * 2u * 2u);
  testing::FakeTransport again(std::ref(responder));
  RunOptions run = options();
  run.repeat = 1;
  (void)run_eval(with_repeat, run, again);
  EXPECT_EQ(again.started.size(), 3u * 2u);
}

TEST_F(Repeat, CachesEachRepeatSeparately) {
  AlternatingEcho responder;
  RunOptions run = options();
  run.cache_path = m_dir.path() / "cache.db";
  run.repeat = 2;
  testing::FakeTransport first(std::ref(responder));
  (void)run_eval(config(), run, first);
  EXPECT_EQ(first.started.size(), 12u);
  // Three samples now: the first two of each case come from the cache, only the third is sent.
  run.repeat = 3;
  testing::FakeTransport second(std::ref(responder));
  const ReportSummary summary = run_eval(config(), run, second);
  EXPECT_EQ(second.started.size(), 6u);
  EXPECT_EQ(summary.variants[0].cache_hits, 6u);
}

TEST_F(Repeat, ComparesEveryVariantWithTheBaseline) {
  testing::FakeTransport transport(AlternatingEcho{});
  const ReportSummary summary = run_eval(config("baseline: label\n"), options(), transport);
  ASSERT_EQ(summary.comparisons.size(), 1u);
  const auto& c = summary.comparisons[0];
  EXPECT_EQ(c["baseline"], "label/local");
  EXPECT_EQ(c["variant"], "plain/local");
  EXPECT_EQ(c["metric"], "exact_match");
  EXPECT_EQ(c["n"], 3);
  EXPECT_EQ(c["test"], "mcnemar_exact");
  EXPECT_NEAR(c["mean_diff"].get<double>(), -1.0 / 3.0, 1e-12);  // case b
  EXPECT_EQ(c["p_value"], 1.0);
  EXPECT_EQ(c["verdict"], "no_significant_difference");
  EXPECT_EQ(read_report()["comparisons"], nlohmann::json(summary.comparisons));
}

}  // namespace
}  // namespace promptbench
