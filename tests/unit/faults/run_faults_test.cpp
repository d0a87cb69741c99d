// SPDX-License-Identifier: Apache-2.0
// A whole run (over a fake transport) meeting file-system faults (docs/FAULTS.md): the
// cache's disk filling up, a corrupt cache, the cache file replaced, the report's spool
// filling up or deleted, the report itself not writable. In each, no answer received is
// lost -- it is in the report or in the cache -- and a re-run sends only what is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/runner.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/faults/fault_file_ops.hpp"
#include "unit/faults/fault_vfs.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int kCases = 400;

/// Echoes the last message as an OpenAI answer, calling `on_answer` with the answer's
/// number (1-based) first: where a test injects its fault mid-run.
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

/// The rows of the cache file (read with a connection of its own).
int cached_answers(const fs::path& cache) {
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

class RunFaults : public ::testing::Test {
 protected:
  RunFaults() {
    std::string rows;
    for (int i = 0; i < kCases; ++i) {
      rows += fmt::format(R"({{"id": "c{}", "answer": "a{}", "label": "a{}"}})", i, i, i) + "\n";
    }
    m_dir.write("data.jsonl", rows);
    m_config = load_config(m_dir.write("cfg.yaml", R"(name: faults
providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m, concurrency: 4}]
prompts: [{id: plain, template: "{{answer}}"}]
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match]
)"));
  }

  RunOptions options() const {
    RunOptions run;
    run.output = report_path();
    run.cache_path = cache_path();
    run.clock = &m_clock;
    return run;
  }
  fs::path report_path() const { return m_dir.path() / "report.json"; }
  fs::path cache_path() const { return m_dir.path() / "cache.db"; }
  nlohmann::json read_report() const {
    std::ifstream in(report_path());
    return nlohmann::json::parse(in);
  }
  /// Outputs in the report, by case id.
  std::set<std::string> reported_ids() const {
    std::set<std::string> ids;
    const nlohmann::json report = read_report();
    for (const auto& c : report["cases"]) {
      if (!c["results"].empty() && c["results"][0]["output"].is_string()) {
        ids.insert(c["id"].get<std::string>());
      }
    }
    return ids;
  }
  /// A second run without faults: how many requests it sends.
  std::size_t rerun_sends() {
    testing::FakeTransport transport(Echo{});
    const ReportSummary summary = run_eval(m_config, options(), transport);
    EXPECT_TRUE(summary.run.complete);
    EXPECT_EQ(read_report()["cases"].size(), static_cast<std::size_t>(kCases));
    return transport.started.size();
  }

  testing::ScratchDir m_dir;
  Config m_config;
  mutable testing::FakeClock m_clock;
};

TEST_F(RunFaults, DiskFullWhileCommittingStopsTheRunWithEveryAnswerInTheReportOrTheCache) {
  ReportSummary summary;
  std::size_t sent = 0;
  {
    const testing::FaultVfsAsDefault vfs;
    testing::FakeTransport transport(Echo([](int answer) {
      if (answer == 20) {
        testing::arm_vfs_faults({0, SQLITE_FULL, 0});
      }
    }));
    summary = run_eval(m_config, options(), transport);
    sent = transport.started.size();
  }
  EXPECT_FALSE(summary.run.complete);
  EXPECT_EQ(summary.run.stop_reason, "cache_error");
  EXPECT_THAT(summary.run.stop_detail, HasSubstr("cannot write the cache " + cache_path().string() +
                                                 ": database or disk is full; "));
  EXPECT_THAT(summary.run.stop_detail, HasSubstr("received after the last commit that succeeded "
                                                 "are in the report but not in the cache (a "
                                                 "re-run sends them again)"));
  const nlohmann::json report = read_report();
  EXPECT_EQ(report["run"]["complete"], false);
  EXPECT_EQ(report["run"]["stop_reason"], "cache_error");
  EXPECT_LT(sent, static_cast<std::size_t>(kCases));  // it stopped
  // Every request sent was answered, and every answer is in the report.
  EXPECT_EQ(reported_ids().size(), sent);
  // All answers before the fault's but one journal window, which holds fewer than -j 4.
  const int committed = cached_answers(cache_path());
  EXPECT_GE(committed, 19 - 3);
  EXPECT_LT(committed, static_cast<int>(sent));
  // With room again, a re-run sends exactly what the cache does not hold.
  EXPECT_EQ(rerun_sends(), static_cast<std::size_t>(kCases - committed));
}

TEST_F(RunFaults, ACorruptCacheStopsTheRunBeforeSendingWhatItCannotLookUp) {
  {
    testing::FakeTransport transport(Echo{});
    RunOptions run = options();
    run.limit = 200;
    (void)run_eval(m_config, run, transport);
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(cache_path().c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const auto size = fs::file_size(cache_path());
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream file(cache_path(), std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(4096);  // page 1 (header, schema) stays: the file still opens
    const std::string garbage(size - 4096, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  testing::FakeTransport transport(Echo{});
  const ReportSummary summary = run_eval(m_config, options(), transport);
  EXPECT_EQ(transport.started.size(), 0u);
  EXPECT_EQ(summary.run.stop_reason, "cache_error");
  EXPECT_THAT(summary.run.stop_detail, HasSubstr("cannot read the cache " + cache_path().string()));
  EXPECT_THAT(summary.run.stop_detail, HasSubstr("delete it or use another --cache path"));
  EXPECT_EQ(read_report()["run"]["complete"], false);
}

TEST_F(RunFaults, ACacheFileReplacedMidRunStopsItAndTheNewFileIsLeftAlone) {
  testing::FakeTransport transport(Echo([this](int answer) {
    if (answer == 10) {
      for (const char* suffix : {"", "-wal", "-shm"}) {
        fs::remove(cache_path().string() + suffix);
      }
      m_dir.write("cache.db", "");  // someone else's new, empty file
    }
  }));
  const ReportSummary summary = run_eval(m_config, options(), transport);
  EXPECT_EQ(summary.run.stop_reason, "cache_error");
  EXPECT_THAT(summary.run.stop_detail,
              HasSubstr("cannot write the cache " + cache_path().string() +
                        ": the file was moved, deleted or replaced during the run"));
  EXPECT_EQ(reported_ids().size(), transport.started.size());
  EXPECT_EQ(fs::file_size(cache_path()), 0u);  // not written to
  EXPECT_FALSE(fs::exists(cache_path().string() + "-wal"));
}

TEST_F(RunFaults, TheSpoolFillingUpStopsTheRunAndARerunSendsOnlyWhatWasNotAnswered) {
  testing::FaultFileOps full;
  full.fail_writes_after(".cases.tmp", 0, ENOSPC);  // the first flush of the spool fails
  testing::FakeTransport transport(Echo{});
  std::string message;
  {
    const util::ScopedFileOps install(full);
    try {
      (void)run_eval(m_config, options(), transport);
    } catch (const UserError& error) {
      message = error.what();
    }
  }
  EXPECT_EQ(message,
            fmt::format("cannot write {}.cases.tmp: No space left on device; {} was not "
                        "written; the answers received are in the cache {}: run the same "
                        "command again once the report can be written and they are not sent "
                        "again",
                        report_path().string(), report_path().string(), cache_path().string()));
  EXPECT_FALSE(fs::exists(report_path()));
  EXPECT_FALSE(fs::exists(report_path().string() + ".cases.tmp"));
  const std::size_t sent = transport.started.size();
  EXPECT_LT(sent, static_cast<std::size_t>(kCases));  // it stopped early
  EXPECT_EQ(cached_answers(cache_path()), static_cast<int>(sent));
  EXPECT_EQ(rerun_sends(), kCases - sent);
}

TEST_F(RunFaults, AReportThatCannotBeWrittenKeepsThePreviousOneAndEveryAnswerInTheCache) {
  m_dir.write("report.json", "previous\n");
  testing::FaultFileOps denied;
  denied.fail_open("report.json.tmp", EACCES);
  testing::FakeTransport transport(Echo{});
  std::string message;
  {
    const util::ScopedFileOps install(denied);
    try {
      (void)run_eval(m_config, options(), transport);
    } catch (const UserError& error) {
      message = error.what();
    }
  }
  EXPECT_THAT(message, HasSubstr("cannot write " + report_path().string() +
                                 ": Permission denied; the answers received are in the cache"));
  std::ifstream in(report_path());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "previous\n");
  EXPECT_EQ(transport.started.size(), static_cast<std::size_t>(kCases));
  EXPECT_EQ(rerun_sends(), 0u);
}

TEST_F(RunFaults, TheCacheAndTheReportFailingTogetherSayThatSomeAnswersAreInNeither) {
  testing::FaultFileOps full;
  full.fail_open("report.json.tmp", ENOSPC);
  std::string message;
  {
    const testing::FaultVfsAsDefault vfs;
    const util::ScopedFileOps install(full);
    testing::FakeTransport transport(Echo([](int answer) {
      if (answer == 20) {
        testing::arm_vfs_faults({0, SQLITE_FULL, 0});
      }
    }));
    try {
      (void)run_eval(m_config, options(), transport);
    } catch (const UserError& error) {
      message = error.what();
    }
  }
  EXPECT_THAT(message, HasSubstr(fmt::format("cannot write {}: No space left on device; and "
                                             "cannot write the cache {}: database or disk is "
                                             "full: ",
                                             report_path().string(), cache_path().string())));
  EXPECT_THAT(message, HasSubstr("received after the last commit that succeeded are in neither "
                                 "(a re-run sends them again)"));
  EXPECT_GE(cached_answers(cache_path()), 19 - 3);  // all but one journal window
}

TEST_F(RunFaults, TheSpoolDeletedMidRunStillGivesTheWholeReport) {
  testing::FakeTransport transport(Echo([this](int answer) {
    if (answer == 200) {
      fs::remove(report_path().string() + ".cases.tmp");
    }
  }));
  const ReportSummary summary = run_eval(m_config, options(), transport);
  EXPECT_TRUE(summary.run.complete);
  EXPECT_EQ(read_report()["cases"].size(), static_cast<std::size_t>(kCases));
}

}  // namespace
}  // namespace promptbench
