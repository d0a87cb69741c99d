// SPDX-License-Identifier: Apache-2.0
// The response cache below SQLite (docs/FAULTS.md): a disk that fills up while an answer is
// committed (through the fault VFS), another process holding the write lock, a corrupt file,
// and a file moved or replaced under the cache. Every answer received stays staged until a
// commit succeeds; every failure names the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>

#include "promptbench/cache.hpp"
#include "promptbench/error.hpp"
#include "unit/faults/fault_vfs.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using testing::arm_vfs_faults;
using testing::disarm_vfs_faults;
using ::testing::HasSubstr;
using testing::kFaultVfsName;
using testing::VfsFaults;

HttpResponse answer(const std::string& body) {
  HttpResponse response;
  response.status = 200;
  response.body = body;
  response.latency_ms = 3;
  return response;
}

CacheOptions through_fault_vfs() {
  testing::register_fault_vfs();
  CacheOptions options;
  options.vfs = kFaultVfsName;
  options.busy_timeout = std::chrono::milliseconds(50);
  return options;
}

/// A plain sqlite3 connection: the "other process" of these tests.
class OtherConnection {
 public:
  explicit OtherConnection(const std::filesystem::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &m_db), SQLITE_OK);
  }
  ~OtherConnection() { sqlite3_close(m_db); }
  OtherConnection(const OtherConnection&) = delete;
  OtherConnection& operator=(const OtherConnection&) = delete;
  int exec(const char* sql) { return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr); }
  /// The first column of the first row of `sql`, as text ("" for none).
  std::string scalar(const char* sql) {
    std::string value;
    sqlite3_exec(
        m_db, sql,
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
          return 0;
        },
        &value, nullptr);
    return value;
  }

 private:
  sqlite3* m_db = nullptr;
};

class CacheFaults : public ::testing::Test {
 protected:
  void TearDown() override { disarm_vfs_faults(); }
  [[nodiscard]] std::filesystem::path cache_path() const { return m_dir.path() / "cache.db"; }
  testing::ScratchDir m_dir;
};

TEST_F(CacheFaults, DiskFullWhileCommittingKeepsTheAnswersStagedUntilACommitSucceeds) {
  {
    ResponseCache cache(cache_path(), through_fault_vfs());
    cache.put("k1", answer("one"));
    cache.commit();
    cache.put("k2", answer("two"));
    cache.put("k3", answer("three"));
    arm_vfs_faults(VfsFaults{0, SQLITE_FULL, 0});
    try {
      cache.commit();
      FAIL() << "the commit should have failed";
    } catch (const CacheError& error) {
      EXPECT_EQ(std::string(error.what()),
                "cannot write the cache " + cache_path().string() + ": database or disk is full");
      EXPECT_EQ(error.path(), cache_path());
    }
    EXPECT_GE(testing::injected_vfs_failures(), 1);
    EXPECT_EQ(cache.staged(), 2u);
    ASSERT_TRUE(cache.get("k2").has_value());  // still answered: staged
    EXPECT_EQ(cache.get("k2")->body, "two");
    // The disk has room again: the same answers go in with the next commit.
    disarm_vfs_faults();
    cache.commit();
    EXPECT_EQ(cache.staged(), 0u);
  }
  ResponseCache reader(cache_path());
  for (const char* key : {"k1", "k2", "k3"}) {
    EXPECT_TRUE(reader.get(key).has_value()) << key;
  }
}

TEST_F(CacheFaults, AWriteFailingHalfWayThroughACommitLeavesNoneOfItsAnswers) {
  {
    ResponseCache cache(cache_path(), through_fault_vfs());
    cache.put("k0", answer("zero"));
    cache.commit();
    for (int i = 1; i <= 50; ++i) {
      cache.put("k" + std::to_string(i), answer(std::string(3000, 'x')));  // several pages
    }
    arm_vfs_faults(VfsFaults{3, SQLITE_IOERR_WRITE, 0});
    EXPECT_THROW(cache.commit(), CacheError);
    EXPECT_GE(testing::injected_vfs_failures(), 1);
    EXPECT_EQ(cache.staged(), 50u);
  }  // the destructor's last commit fails too (still armed): the answers are not saved
  disarm_vfs_faults();
  OtherConnection file(cache_path());
  EXPECT_EQ(file.scalar("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(file.scalar("SELECT count(*) FROM responses"), "1");  // all or nothing
}

TEST_F(CacheFaults, TheDestructorCommitsWhatAFailedCommitLeftStaged) {
  {
    ResponseCache cache(cache_path(), through_fault_vfs());
    cache.put("k1", answer("one"));
    arm_vfs_faults(VfsFaults{0, SQLITE_FULL, 0});
    EXPECT_THROW(cache.commit(), CacheError);
    disarm_vfs_faults();  // room again by the time the run ends
  }
  ResponseCache reader(cache_path());
  EXPECT_TRUE(reader.get("k1").has_value());
}

TEST_F(CacheFaults, ALockHeldPastTheBusyTimeoutFailsTheCommitAndKeepsTheAnswers) {
  ResponseCache cache(cache_path(), through_fault_vfs());
  cache.put("k1", answer("one"));
  cache.commit();
  OtherConnection other(cache_path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  cache.put("k2", answer("two"));
  try {
    cache.commit();
    FAIL() << "the commit should have failed";
  } catch (const CacheError& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot write the cache " + cache_path().string() +
                                        ": database is locked (another process held it for "
                                        "longer than 50 ms)"));
  }
  EXPECT_EQ(cache.staged(), 1u);
  EXPECT_TRUE(cache.get("k1").has_value());  // reading is not blocked in WAL mode
  ASSERT_EQ(other.exec("COMMIT"), SQLITE_OK);
  cache.commit();
  EXPECT_EQ(cache.staged(), 0u);
  EXPECT_EQ(other.scalar("SELECT count(*) FROM responses"), "2");
}

TEST_F(CacheFaults, ALockHeldWhileANewCacheIsCreatedRefusesItNamingTheFile) {
  OtherConnection other(cache_path());
  ASSERT_EQ(other.exec("CREATE TABLE t(x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)"), SQLITE_OK);
  try {
    ResponseCache cache(cache_path(), through_fault_vfs());
    FAIL() << "opening should have failed";
  } catch (const UserError& error) {
    EXPECT_THAT(error.what(), HasSubstr(cache_path().string()));
    EXPECT_THAT(error.what(), HasSubstr("database is locked"));
  }
}

TEST_F(CacheFaults, AFileOverwrittenWithGarbageIsRefusedUnchanged) {
  { ResponseCache cache(cache_path()); }
  const std::string garbage(8192, '\x5a');
  std::ofstream(cache_path(), std::ios::binary | std::ios::trunc) << garbage;
  std::filesystem::remove(cache_path().string() + "-wal");
  try {
    ResponseCache cache(cache_path());
    FAIL() << "opening should have failed";
  } catch (const UserError& error) {
    EXPECT_THAT(error.what(), HasSubstr(cache_path().string()));
    EXPECT_THAT(error.what(), HasSubstr("not an SQLite database"));
  }
  std::ifstream in(cache_path(), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);
}

TEST_F(CacheFaults, ACorruptPageFailsTheLookupWithACacheErrorNamingTheFile) {
  {
    ResponseCache cache(cache_path());
    for (int i = 0; i < 200; ++i) {
      cache.put("k" + std::to_string(i), answer(std::string(500, 'y')));
    }
    cache.commit();
  }
  {
    OtherConnection other(cache_path());
    ASSERT_EQ(other.exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  }
  // Page 1 (the header and the schema) stays; the table's pages after it become garbage.
  const auto size = std::filesystem::file_size(cache_path());
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream file(cache_path(), std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(4096);
    const std::string garbage(size - 4096, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  ResponseCache cache(cache_path());
  try {
    (void)cache.get("k7");
    FAIL() << "the lookup should have failed";
  } catch (const CacheError& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot read the cache " + cache_path().string()));
    EXPECT_THAT(error.what(), HasSubstr("the file is corrupt: delete it or use another --cache"));
  }
}

TEST_F(CacheFaults, AFileRenamedUnderTheCacheIsNeverWrittenAgain) {
  ResponseCache cache(cache_path());
  cache.put("k1", answer("one"));
  cache.commit();
  std::filesystem::rename(cache_path(), m_dir.path() / "moved.db");
  cache.put("k2", answer("two"));
  try {
    cache.commit();
    FAIL() << "the commit should have failed";
  } catch (const CacheError& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot write the cache " + cache_path().string() +
                                        ": the file was moved, deleted or replaced"));
  }
  EXPECT_EQ(cache.staged(), 1u);
  EXPECT_THROW(cache.commit(), CacheError);  // every later commit too
  EXPECT_FALSE(std::filesystem::exists(cache_path()));
}

TEST_F(CacheFaults, AFileDeletedAndCreatedAgainUnderTheCacheIsLeftToItsNewOwner) {
  auto cache = std::make_unique<ResponseCache>(cache_path());
  cache->put("k1", answer("one"));
  cache->commit();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(cache_path().string() + suffix);
  }
  ResponseCache newcomer(cache_path());  // another run creates the file anew
  newcomer.put("n1", answer("new"));
  newcomer.commit();
  cache->put("k2", answer("two"));
  EXPECT_THROW(cache->commit(), CacheError);
  cache.reset();  // its destructor does not write either
  OtherConnection file(cache_path());
  EXPECT_EQ(file.scalar("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(file.scalar("SELECT group_concat(key) FROM responses"), "n1");
}

}  // namespace
}  // namespace promptbench
