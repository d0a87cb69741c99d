// SPDX-License-Identifier: Apache-2.0
// The journal's group commit, end to end over a fake transport and a clock that never moves:
// whatever the window holds when the run ends or stops is committed before it returns.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>

#include <fmt/format.h>

#include "promptbench/runner.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

namespace fs = std::filesystem;

/// Echoes the last message as an OpenAI answer; calls `on_answer` with the answer's number.
class Echo {
 public:
  explicit Echo(std::function<void(int)> on_answer = {}) : m_on_answer(std::move(on_answer)) {}
  TransferResult operator()(const HttpRequest& request) {
    if (m_on_answer) {
      m_on_answer(++m_answers);
    }
    const auto body = nlohmann::json::parse(request.body);
    HttpResponse response;
    response.status = 200;
    response.latency_ms = 5;
    response.body =
        nlohmann::json{
            {"choices", {{{"message", {{"content", body["messages"].back()["content"]}}}}}}}
            .dump();
    return response;
  }

 private:
  std::function<void(int)> m_on_answer;
  int m_answers = 0;
};

/// The rows of the cache file, read with a connection of its own.
int committed_answers(const fs::path& cache) {
  sqlite3* db = nullptr;
  int count = -1;
  if (sqlite3_open_v2(cache.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, "SELECT count(*) FROM responses",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = std::stoi(values[0]);
          return 0;
        },
        &count, nullptr);
  }
  sqlite3_close(db);
  return count;
}

class Journal : public ::testing::Test {
 protected:
  /// `cases` cases and a concurrency of 64: more than the run has answers, so the count
  /// never closes a window, and the fake clock never moves, so time never does either.
  Config config(int cases) {
    std::string rows;
    for (int i = 0; i < cases; ++i) {
      rows += fmt::format(R"({{"id": "c{}", "answer": "a{}", "label": "a{}"}})", i, i, i) + "\n";
    }
    m_dir.write("data.jsonl", rows);
    return load_config(m_dir.write("cfg.yaml", R"(name: journal
providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m, concurrency: 64}]
prompts: [{id: plain, template: "{{answer}}"}]
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match]
)"));
  }

  RunOptions options() const {
    RunOptions run;
    run.output = m_dir.path() / "report.json";
    run.cache_path = cache_path();
    run.clock = &m_clock;
    run.interrupts = &m_interrupts;
    return run;
  }
  fs::path cache_path() const { return m_dir.path() / "cache.db"; }
  std::size_t reported_outputs() const {
    std::ifstream in(m_dir.path() / "report.json");
    const nlohmann::json report = nlohmann::json::parse(in);
    std::size_t outputs = 0;
    for (const auto& c : report["cases"]) {
      outputs += !c["results"].empty() && c["results"][0]["output"].is_string() ? 1 : 0;
    }
    return outputs;
  }

  testing::ScratchDir m_dir;
  mutable testing::FakeClock m_clock;
  std::atomic<int> m_interrupts{0};
};

TEST_F(Journal, TheLastWindowIsCommittedBeforeTheRunEnds) {
  const Config cfg = config(20);
  testing::FakeTransport transport(Echo{});
  const ReportSummary summary = run_eval(cfg, options(), transport);
  EXPECT_TRUE(summary.run.complete);
  EXPECT_EQ(committed_answers(cache_path()), 20);
  testing::FakeTransport again(Echo{});
  (void)run_eval(cfg, options(), again);
  EXPECT_EQ(again.started.size(), 0u);
}

TEST_F(Journal, TheLastWindowFailingToCommitIsReportedNotDropped) {
  const Config cfg = config(20);
  testing::FakeTransport transport(Echo([this](int answer) {
    if (answer == 20) {  // after the last answer: only the run's final commit can see it
      for (const char* suffix : {"", "-wal", "-shm"}) {
        fs::remove(cache_path().string() + suffix);
      }
    }
  }));
  const ReportSummary summary = run_eval(cfg, options(), transport);
  EXPECT_EQ(summary.run.stop_reason, "cache_error");
  EXPECT_NE(summary.run.stop_detail.find("the file was moved, deleted or replaced"),
            std::string::npos);
  EXPECT_NE(summary.run.stop_detail.find("20 answers received after the last commit that "
                                         "succeeded are in the report but not in the cache"),
            std::string::npos)
      << summary.run.stop_detail;
  EXPECT_EQ(reported_outputs(), 20u);
}

TEST_F(Journal, AnInterruptedRunCommitsEveryAnswerItReported) {
  const Config cfg = config(200);
  testing::FakeTransport transport(Echo([this](int answer) {
    if (answer == 30) {
      m_interrupts = 1;  // Ctrl-C: the requests in flight finish, nothing new is sent
    }
  }));
  const ReportSummary summary = run_eval(cfg, options(), transport);
  EXPECT_EQ(summary.run.stop_reason, "interrupted");
  EXPECT_GE(reported_outputs(), 30u);
  EXPECT_LT(reported_outputs(), 200u);
  EXPECT_EQ(committed_answers(cache_path()), static_cast<int>(reported_outputs()));
  EXPECT_EQ(committed_answers(cache_path()), static_cast<int>(transport.started.size()));
}

}  // namespace
}  // namespace promptbench
