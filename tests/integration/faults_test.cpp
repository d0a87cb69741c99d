// SPDX-License-Identifier: Apache-2.0
// Faults below HTTP on the real binary (docs/FAULTS.md), produced by the operating system
// itself: a size-limited tmpfs for a full disk, a read-only bind mount, a second process
// holding SQLite's write lock, a cache overwritten with garbage, a cache or spool deleted
// under a run against a slow stub. Each ends with a defined exit code, a message naming
// the file, a complete or partial report, and no answer received lost: it is in the report
// or in the cache, and a re-run does not send what the cache holds.
//
// Mounting needs root (CAP_SYS_ADMIN); where the kernel refuses, those tests are skipped
// with the reason, never passed.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace faults_test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

/// A file system mounted for one test, unmounted by the destructor. Declare it after the
/// TempDir holding its mount point, so that it is unmounted before the folder is removed.
class Mount {
 public:
  /// A tmpfs of `size` (e.g. "96k") at `where` (created). error() says why it failed.
  static Mount tmpfs(const fs::path& where, const std::string& size) {
    fs::create_directories(where);
    Mount mount(where);
    const std::string options = "size=" + size;
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      mount.m_error =
          fmt::format("mount -t tmpfs -o {} {}: {}", options, where.string(), std::strerror(errno));
    }
    return mount;
  }
  /// `source` again at `where`, read-only.
  static Mount read_only_bind(const fs::path& source, const fs::path& where) {
    fs::create_directories(where);
    Mount mount(where);
    if (::mount(source.c_str(), where.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      mount.m_error = fmt::format("mount --bind {} {}: {}", source.string(), where.string(),
                                  std::strerror(errno));
      return mount;
    }
    if (::mount(nullptr, where.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      mount.m_error =
          fmt::format("mount -o remount,bind,ro {}: {}", where.string(), std::strerror(errno));
    }
    return mount;
  }
  Mount(Mount&& other) noexcept
      : m_where(std::move(other.m_where)), m_error(std::move(other.m_error)) {
    other.m_where.clear();
  }
  Mount& operator=(Mount&&) = delete;
  ~Mount() {
    if (!m_where.empty()) {
      ::umount2(m_where.c_str(), MNT_DETACH);
    }
  }
  /// Empty when mounted; else what the kernel said.
  [[nodiscard]] const std::string& error() const { return m_error; }
  /// Grows a tmpfs to `size`: the disk has room again.
  bool resize(const std::string& size) const {
    const std::string options = "size=" + size;
    return ::mount("tmpfs", m_where.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  explicit Mount(fs::path where) : m_where(std::move(where)) {}
  fs::path m_where;
  std::string m_error;
};

#define SKIP_UNLESS_MOUNTED(mount)                                                        \
  if (!(mount).error().empty()) {                                                         \
    GTEST_SKIP() << "this test needs a mount of its own (root, CAP_SYS_ADMIN), refused: " \
                 << (mount).error();                                                      \
  }

/// `cases` rows with an answer of `bytes` characters: the stub echoes it, so the answers,
/// the cache and the report grow with it.
std::string make_rows(int cases, std::size_t bytes) {
  std::string rows;
  for (int i = 0; i < cases; ++i) {
    rows += fmt::format(R"({{"id": "c{}", "answer": "{}", "label": "a"}})", i,
                        std::string(bytes, static_cast<char>('a' + i % 26))) +
            "\n";
  }
  return rows;
}

std::string make_config(const StubServer& stub, int concurrency) {
  return fmt::format(R"(name: faults
providers:
  - {{id: stub, base_url: "{}", model: m, concurrency: {}, timeout: 20s}}
prompts:
  - {{id: plain, template: "{{{{answer}}}} {{{{id}}}}"}}
dataset: {{path: data.jsonl, reference: label, id: id}}
metrics: [exact_match]
)",
                     stub.base_url(), concurrency);
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read_file(path));
}

int ok_answers(const StubServer& stub) {
  const nlohmann::json stats = stub.stats();
  return stats["by_status"].contains("200") ? stats["by_status"]["200"].get<int>() : 0;
}

/// Results in the report whose output the server sent in this run (not from the cache):
/// compared with the stub's count, every answer paid for reached the report.
int answered_results(const nlohmann::json& report) {
  int answered = 0;
  for (const auto& c : report["cases"]) {
    for (const auto& result : c["results"]) {
      answered += result["output"].is_string() && result["cached"] == false ? 1 : 0;
    }
  }
  return answered;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

/// Starts `promptbench eval` in the background and returns once the stub has received
/// `requests` requests (or the run ended).
void start_and_wait(ChildProcess& child, const TempDir& dir, const StubServer& stub,
                    std::vector<std::string> args, int requests) {
  std::vector<std::string> argv = {promptbench_bin(), "eval", "cfg.yaml", "-q"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.working_dir = dir.path().string();
  options.unset_env = {"NO_COLOR"};
  child.start(argv, options);
  for (int wait = 0; wait < 800 && stub.stats()["requests"].get<int>() < requests; ++wait) {
    if (!child.is_running()) {
      return;
    }
    std::this_thread::sleep_for(milliseconds(25));
  }
}

TEST(Faults, DiskFullWhileCommittingStopsWithAPartialReportAndARerunSendsOnlyTheMissing) {
  StubServer stub;
  TempDir dir;
  const int cases = 300;
  dir.write("data.jsonl", make_rows(cases, 2000));
  dir.write("cfg.yaml", make_config(stub, 2));
  const Mount disk = Mount::tmpfs(dir.path() / "small", "128k");
  SKIP_UNLESS_MOUNTED(disk);

  const ProcessResult full = promptbench(
      dir, {"eval", "cfg.yaml", "-q", "-o", "report.json", "--cache", "small/cache.db"});
  EXPECT_EQ(full.exit_code, 3) << full.err;
  EXPECT_TRUE(contains(full.err,
                       "promptbench: error: cannot write the cache small/cache.db: "
                       "database or disk is full"))
      << full.err;
  EXPECT_TRUE(contains(full.err, "the run stopped: partial report (")) << full.err;
  const nlohmann::json partial = read_json(dir.path() / "report.json");
  EXPECT_EQ(partial["run"]["complete"], false);
  EXPECT_EQ(partial["run"]["stop_reason"], "cache_error");
  // Every answer the stub gave is in the report.
  const int answered = ok_answers(stub);
  EXPECT_LT(answered, cases);
  EXPECT_EQ(answered_results(partial), answered);

  // Room again: what the cache holds is not sent again.
  ASSERT_TRUE(disk.resize("64m"));
  stub.reset();
  const ProcessResult rerun = promptbench(
      dir, {"eval", "cfg.yaml", "-q", "-o", "report.json", "--cache", "small/cache.db"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["run"]["complete"], true);
  const int cached = report["variants"][0]["cache_hits"].get<int>();
  EXPECT_GT(cached, 0);
  EXPECT_EQ(stub.stats()["requests"].get<int>(), cases - cached);
}

TEST(Faults, ACacheLockedByAnotherProcessPastTheBusyTimeoutStopsTheRunWithExit3) {
  const ProcessResult which = run_process({"sh", "-c", "command -v sqlite3"});
  if (which.exit_code != 0) {
    GTEST_SKIP() << "needs the sqlite3 command-line shell (Debian package sqlite3) to hold the "
                    "cache's write lock from another process";
  }
  StubServer stub;
  TempDir dir;
  const int cases = 40;
  dir.write("data.jsonl", make_rows(cases, 10));
  dir.write("cfg.yaml", make_config(stub, 1));
  // A cache with one answer, then another process takes its write lock for 36 s: longer
  // than promptbench's 30 s busy timeout.
  ASSERT_EQ(promptbench(dir, {"eval", "cfg.yaml", "-q", "--limit", "1"}).exit_code, 0);
  stub.reset();
  ChildProcess holder;
  RunOptions holder_options;
  holder_options.working_dir = dir.path().string();
  holder.start({"sqlite3", ".promptbench/cache.db", "BEGIN IMMEDIATE", ".shell touch locked",
                ".shell sleep 36", "ROLLBACK"},
               holder_options);
  for (int wait = 0; wait < 400 && !fs::exists(dir.path() / "locked"); ++wait) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_TRUE(fs::exists(dir.path() / "locked")) << holder.err_so_far();

  RunOptions run_options;
  run_options.timeout = milliseconds(90'000);
  const ProcessResult locked = promptbench(dir, {"eval", "cfg.yaml", "-q"}, run_options);
  EXPECT_EQ(locked.exit_code, 3) << locked.err;
  EXPECT_TRUE(contains(locked.err,
                       "promptbench: error: cannot write the cache "
                       ".promptbench/cache.db: database is locked (another process "
                       "held it for longer than 30 s)"))
      << locked.err;
  const nlohmann::json partial = read_json(dir.path() / "promptbench-report.json");
  EXPECT_EQ(partial["run"]["stop_reason"], "cache_error");
  EXPECT_EQ(answered_results(partial), ok_answers(stub));
  EXPECT_EQ(holder.wait().exit_code, 0);
}

TEST(Faults, ACacheOverwrittenWithGarbageIsRefusedWithExit2BeforeAnythingIsSent) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", make_rows(5, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  ASSERT_EQ(promptbench(dir, {"eval", "cfg.yaml", "-q", "-o", "first.json"}).exit_code, 0);
  stub.reset();
  const std::string garbage(16384, '\x7f');
  dir.write(".promptbench/cache.db", garbage);
  fs::remove(dir.path() / ".promptbench/cache.db-wal");

  const ProcessResult refused = promptbench(dir, {"eval", "cfg.yaml", "-q"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err,
                       "promptbench: error: .promptbench/cache.db: not a "
                       "promptbench cache (not an SQLite database)"))
      << refused.err;
  EXPECT_EQ(stub.stats()["requests"], 0);
  EXPECT_FALSE(fs::exists(dir.path() / "promptbench-report.json"));
  EXPECT_EQ(read_file(dir.path() / ".promptbench/cache.db"), garbage);
}

TEST(Faults, ACacheFileDeletedAndCreatedAgainUnderTheRunStopsItWithExit3) {
  StubServer stub({"--latency-ms", "30"});
  TempDir dir;
  const int cases = 300;
  dir.write("data.jsonl", make_rows(cases, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  ChildProcess child;
  start_and_wait(child, dir, stub, {"-o", "report.json"}, 10);
  ASSERT_TRUE(child.is_running());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(dir.path() / (std::string(".promptbench/cache.db") + suffix));
  }
  dir.write(".promptbench/cache.db", "");  // another program's new file under the name
  const ProcessResult replaced = child.wait();
  EXPECT_EQ(replaced.exit_code, 3) << replaced.err;
  EXPECT_TRUE(contains(replaced.err,
                       "promptbench: error: cannot write the cache "
                       ".promptbench/cache.db: the file was moved, deleted or "
                       "replaced during the run"))
      << replaced.err;
  const nlohmann::json partial = read_json(dir.path() / "report.json");
  EXPECT_EQ(partial["run"]["complete"], false);
  EXPECT_EQ(partial["run"]["stop_reason"], "cache_error");
  EXPECT_EQ(answered_results(partial), ok_answers(stub));
  EXPECT_EQ(fs::file_size(dir.path() / ".promptbench/cache.db"), 0u);  // left to its owner
  EXPECT_FALSE(fs::exists(dir.path() / ".promptbench/cache.db-wal"));
}

TEST(Faults, ASpoolOnAFullDiskStopsTheRunWithExit2AndEveryAnswerInTheCache) {
  StubServer stub;
  TempDir dir;
  const int cases = 300;
  dir.write("data.jsonl", make_rows(cases, 2000));
  dir.write("cfg.yaml", make_config(stub, 2));
  const Mount disk = Mount::tmpfs(dir.path() / "out", "96k");
  SKIP_UNLESS_MOUNTED(disk);
  dir.write("out/report.json", "previous\n");

  const ProcessResult full = promptbench(dir, {"eval", "cfg.yaml", "-q", "-o", "out/report.json"});
  EXPECT_EQ(full.exit_code, 2) << full.err;
  EXPECT_TRUE(contains(full.err,
                       "promptbench: error: cannot write out/report.json.cases.tmp: "
                       "No space left on device; out/report.json was not written; the "
                       "answers received are in the cache .promptbench/cache.db"))
      << full.err;
  EXPECT_EQ(read_file(dir.path() / "out/report.json"), "previous\n");
  EXPECT_FALSE(fs::exists(dir.path() / "out/report.json.cases.tmp"));
  const int answered = ok_answers(stub);
  EXPECT_LT(answered, cases);  // stopped early: no more money spent on a report it cannot write

  ASSERT_TRUE(disk.resize("64m"));
  stub.reset();
  const ProcessResult rerun = promptbench(dir, {"eval", "cfg.yaml", "-q", "-o", "out/report.json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(read_json(dir.path() / "out/report.json")["variants"][0]["cache_hits"], answered);
  EXPECT_EQ(stub.stats()["requests"].get<int>(), cases - answered);
}

TEST(Faults, AFormatOnAFullDiskExits2NamingItWithTheJsonReportComplete) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", make_rows(20, 3000));
  dir.write("cfg.yaml", make_config(stub, 2));
  const Mount disk = Mount::tmpfs(dir.path() / "full", "64k");
  SKIP_UNLESS_MOUNTED(disk);
  // The disk is full but for a few bytes: the outputs' checks (an empty probe file) pass.
  {
    std::ofstream filler(dir.path() / "full/filler", std::ios::binary);
    const std::string block(4096, 'f');
    while (filler.write(block.data(), block.size())) {
    }
  }
  for (const std::string format : {"md", "csv", "junit", "html"}) {
    SCOPED_TRACE(format);
    const std::string path = "full/report." + format;
    const ProcessResult result =
        promptbench(dir, {"eval", "cfg.yaml", "-q", "-o", "report.json", "--" + format, path});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(contains(result.err,
                         "promptbench: error: cannot write " + path + ": No space left on device"))
        << result.err;
    EXPECT_FALSE(fs::exists(dir.path() / path));
    EXPECT_FALSE(fs::exists(dir.path() / (path + ".tmp")));
    EXPECT_EQ(read_json(dir.path() / "report.json")["run"]["complete"], true);
  }
  EXPECT_EQ(stub.stats()["requests"], 20);  // the later runs came from the cache
}

TEST(Faults, TheSpoolDeletedDuringTheRunStillGivesTheWholeReport) {
  StubServer stub({"--latency-ms", "20"});
  TempDir dir;
  const int cases = 200;
  dir.write("data.jsonl", make_rows(cases, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  ChildProcess child;
  start_and_wait(child, dir, stub, {"-o", "report.json"}, 20);
  ASSERT_TRUE(child.is_running());
  ASSERT_TRUE(fs::remove(dir.path() / "report.json.cases.tmp"));
  const ProcessResult result = child.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = read_json(dir.path() / "report.json");
  EXPECT_EQ(report["run"]["complete"], true);
  EXPECT_EQ(report["cases"].size(), static_cast<std::size_t>(cases));
  EXPECT_EQ(answered_results(report), cases);
}

TEST(Faults, AReadOnlyOutputDirectoryIsRefusedWithExit2BeforeAnythingIsSent) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", make_rows(5, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  dir.write("source/report.json", "previous\n");
  const Mount read_only = Mount::read_only_bind(dir.path() / "source", dir.path() / "ro");
  SKIP_UNLESS_MOUNTED(read_only);
  for (const std::vector<std::string>& outputs :
       {std::vector<std::string>{"-o", "ro/report.json"},
        std::vector<std::string>{"-o", "report.json", "--md", "ro/report.md"}}) {
    std::vector<std::string> args = {"eval", "cfg.yaml", "-q"};
    args.insert(args.end(), outputs.begin(), outputs.end());
    const ProcessResult refused = promptbench(dir, args);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_TRUE(contains(refused.err, "promptbench: error: ")) << refused.err;
    EXPECT_TRUE(contains(refused.err, "ro/report.")) << refused.err;
    EXPECT_TRUE(contains(refused.err, "Read-only file system")) << refused.err;
  }
  EXPECT_EQ(stub.stats()["requests"], 0);
  EXPECT_EQ(read_file(dir.path() / "ro/report.json"), "previous\n");
}

/// argv run as user and group nobody (65534): as root, permissions do not apply, so EACCES
/// needs another user. Empty when that cannot be done here (the test skips).
std::vector<std::string> as_nobody(const std::vector<std::string>& argv, std::string& why_not) {
  if (::geteuid() != 0) {
    why_not = "switching to an unprivileged user needs root";
    return {};
  }
  if (run_process({"sh", "-c", "command -v setpriv"}).exit_code != 0) {
    why_not = "needs setpriv (util-linux) to run promptbench as another user";
    return {};
  }
  std::vector<std::string> wrapped = {"setpriv", "--reuid=65534", "--regid=65534",
                                      "--clear-groups"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

TEST(Faults, AnOutputDirectoryThatBecomesUnwritableMidRunExits2WithEveryAnswerInTheCache) {
  StubServer stub({"--latency-ms", "20"});
  TempDir dir;
  const int cases = 200;
  dir.write("data.jsonl", make_rows(cases, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  fs::create_directories(dir.path() / "out");
  fs::create_directories(dir.path() / "cache");
  dir.write("out/report.json", "previous\n");
  fs::permissions(dir.path(), fs::perms::all & ~fs::perms::others_write & ~fs::perms::group_write);
  fs::permissions(dir.path() / "out", fs::perms::all);
  fs::permissions(dir.path() / "cache", fs::perms::all);
  std::string why_not;
  const std::vector<std::string> argv =
      as_nobody({promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "out/report.json", "--cache",
                 "cache/cache.db"},
                why_not);
  if (argv.empty()) {
    GTEST_SKIP() << why_not;
  }
  ChildProcess child;
  RunOptions options;
  options.working_dir = dir.path().string();
  child.start(argv, options);
  for (int wait = 0; wait < 800 && stub.stats()["requests"].get<int>() < 20; ++wait) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_TRUE(child.is_running());
  // The spool is open already; the report's temporary file cannot be created any more.
  fs::permissions(dir.path() / "out", fs::perms::owner_all | fs::perms::group_read |
                                          fs::perms::group_exec | fs::perms::others_read |
                                          fs::perms::others_exec);
  const ProcessResult denied = child.wait();
  EXPECT_EQ(denied.exit_code, 2) << denied.err;
  EXPECT_TRUE(contains(denied.err,
                       "promptbench: error: cannot write out/report.json: "
                       "Permission denied; the answers received are in the cache "
                       "cache/cache.db"))
      << denied.err;
  EXPECT_EQ(read_file(dir.path() / "out/report.json"), "previous\n");
  EXPECT_EQ(ok_answers(stub), cases);

  fs::permissions(dir.path() / "out", fs::perms::all);
  stub.reset();
  RunOptions again;
  again.working_dir = dir.path().string();
  const ProcessResult rerun = run_process(argv, again);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(stub.stats()["requests"], 0);  // every answer came from the cache
  EXPECT_EQ(read_json(dir.path() / "out/report.json")["variants"][0]["cache_hits"], cases);
}

TEST(Faults, AnOutputDirectoryWithoutWritePermissionIsRefusedWithExit2) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", make_rows(5, 10));
  dir.write("cfg.yaml", make_config(stub, 2));
  fs::create_directories(dir.path() / "locked");
  fs::permissions(dir.path(), fs::perms::all & ~fs::perms::others_write & ~fs::perms::group_write);
  std::string why_not;
  const std::vector<std::string> argv = as_nobody(
      {promptbench_bin(), "eval", "cfg.yaml", "-q", "-o", "locked/report.json", "--no-cache"},
      why_not);
  if (argv.empty()) {
    GTEST_SKIP() << why_not;
  }
  RunOptions options;
  options.working_dir = dir.path().string();
  const ProcessResult refused = run_process(argv, options);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err,
                       "promptbench: error: -o locked/report.json: cannot create a "
                       "file in locked: Permission denied"))
      << refused.err;
  EXPECT_EQ(stub.stats()["requests"], 0);
}

}  // namespace
}  // namespace faults_test
}  // namespace promptbench::testing
