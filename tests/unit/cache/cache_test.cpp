// SPDX-License-Identifier: Apache-2.0
// The response cache: keys without credentials, round trips, sharing, bad files, and the
// schema version (a newer cache or another application's database is refused untouched).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "promptbench/cache.hpp"
#include "promptbench/error.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

HttpRequest request_with_key(const std::string& key) {
  HttpRequest request;
  request.url = "http://127.0.0.1:8080/v1/chat/completions";
  request.headers = {{"Content-Type", "application/json", false},
                     {"Authorization", "Bearer " + key, true}};
  request.body = R"({"messages":[{"content":"hi","role":"user"}],"model":"m"})";
  return request;
}

TEST(CacheKey, IgnoresCredentialsButNotTheRequestOrTheRepeat) {
  const std::string a = cache_key(request_with_key("sk-one"), 0);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a, cache_key(request_with_key("sk-two"), 0));
  EXPECT_NE(a, cache_key(request_with_key("sk-one"), 1));
  HttpRequest other = request_with_key("sk-one");
  other.body += " ";
  EXPECT_NE(a, cache_key(other, 0));
  other = request_with_key("sk-one");
  other.url = "http://127.0.0.1:8081/v1/chat/completions";
  EXPECT_NE(a, cache_key(other, 0));
}

TEST(ResponseCache, StoresAndReturnsAnswersAcrossHandles) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "sub" / "cache.db";
  HttpResponse answer;
  answer.status = 200;
  answer.body = std::string("{\"x\":\"\0binary\"}", 15);
  answer.latency_ms = 12.5;
  {
    ResponseCache cache(path);
    EXPECT_FALSE(cache.get("k1").has_value());
    cache.put("k1", answer);
  }
  ResponseCache reader(path);
  ResponseCache writer(path);  // a second handle on the same file, as a second process has
  writer.put("k2", answer);
  writer.commit();
  const auto found = reader.get("k1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, 200);
  EXPECT_EQ(found->body, answer.body);
  EXPECT_DOUBLE_EQ(found->latency_ms, 12.5);
  EXPECT_TRUE(reader.get("k2").has_value());
}

TEST(ResponseCache, StagedAnswersAreSeenAtOnceHereAndElsewhereOnlyOnceCommitted) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  HttpResponse first;
  first.status = 200;
  first.body = "first";
  HttpResponse second = first;
  second.body = "second";
  ResponseCache writer(path);
  ResponseCache other(path);
  writer.put("k", first);
  writer.put("k", second);  // the later answer wins, as INSERT OR REPLACE does once written
  EXPECT_EQ(writer.staged(), 2u);
  ASSERT_TRUE(writer.get("k").has_value());
  EXPECT_EQ(writer.get("k")->body, "second");
  EXPECT_FALSE(other.get("k").has_value());

  writer.commit();
  EXPECT_EQ(writer.staged(), 0u);
  ASSERT_TRUE(other.get("k").has_value());
  EXPECT_EQ(other.get("k")->body, "second");
  writer.commit();  // nothing staged: nothing to do
}

TEST(ResponseCache, ClosingAHandleCommitsWhatIsStaged) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  HttpResponse answer;
  answer.status = 200;
  answer.body = "kept";
  {
    ResponseCache cache(path);
    cache.put("k", answer);
  }
  ResponseCache reader(path);
  ASSERT_TRUE(reader.get("k").has_value());
  EXPECT_EQ(reader.get("k")->body, "kept");
}

/// Runs `sql` on the SQLite file at `path` directly, as another program (or another
/// promptbench build) would.
void sqlite_exec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error == nullptr ? "" : error;
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

/// `PRAGMA <name>` of the file at `path`.
int pragma_value(const std::filesystem::path& path, const std::string& name) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &statement, nullptr);
  const int value = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

/// The first column of the first row `sql` gives on the file at `path`, as text.
std::string text_of(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  std::string value = "(no row)";
  if (sqlite3_step(statement) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(statement, 0);
    value = text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

std::string error_opening(const std::filesystem::path& path) {
  try {
    ResponseCache cache(path);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr const char* kTableOfSchema1 =
    "CREATE TABLE responses (key TEXT PRIMARY KEY, status INTEGER NOT NULL, body BLOB NOT "
    "NULL, latency_ms REAL NOT NULL, created_at INTEGER NOT NULL DEFAULT (strftime('%s', "
    "'now'))) WITHOUT ROWID;";

TEST(ResponseCache, ANewCacheCarriesTheSchemaVersionAndTheApplicationId) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  { ResponseCache cache(path); }
  EXPECT_EQ(kCacheSchemaVersion, 3);
  EXPECT_EQ(pragma_value(path, "user_version"), kCacheSchemaVersion);
  EXPECT_EQ(pragma_value(path, "application_id"), 0x50426368);  // "PBch"
}

TEST(ResponseCache, ProcessesCreatingOneNewFileAtOnceAllOpenIt) {
  // Each opener reads the file's marks and schema while another may be creating them; it
  // must see all of them or none (the race two `eval`s on one new cache used to lose).
  for (int round = 0; round < 40; ++round) {
    testing::ScratchDir dir;
    const auto path = dir.path() / "shared.db";
    std::vector<std::string> errors(4);
    std::vector<std::thread> openers;
    for (std::size_t i = 0; i < errors.size(); ++i) {
      openers.emplace_back([&path, &errors, i] {
        try {
          ResponseCache cache(path);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (std::thread& opener : openers) {
      opener.join();
    }
    for (const std::string& error : errors) {
      ASSERT_EQ(error, "") << "round " << round;
    }
  }
}

TEST(ResponseCache, AnEmptyFileBecomesACache) {
  testing::ScratchDir dir;
  const auto path = dir.write("cache.db", "");  // `touch cache.db`: an empty database
  HttpResponse answer;
  answer.status = 200;
  answer.body = "ok";
  {
    ResponseCache cache(path);
    cache.put("k", answer);
  }
  ResponseCache reader(path);
  ASSERT_TRUE(reader.get("k").has_value());
  EXPECT_EQ(pragma_value(path, "user_version"), kCacheSchemaVersion);
}

TEST(ResponseCache, ACacheWrittenBeforeSchemaVersionsIsAdoptedWithItsAnswers) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  sqlite_exec(path, std::string(kTableOfSchema1) +
                        "INSERT INTO responses (key, status, body, latency_ms) VALUES "
                        "('k', 200, 'kept', 3.5);");
  ASSERT_EQ(pragma_value(path, "user_version"), 0);
  {
    ResponseCache cache(path);
    ASSERT_TRUE(cache.get("k").has_value());
    EXPECT_EQ(cache.get("k")->body, "kept");
  }
  EXPECT_EQ(pragma_value(path, "user_version"), kCacheSchemaVersion);
  EXPECT_EQ(pragma_value(path, "application_id"), 0x50426368);
}

TEST(ResponseCache, ASchema1CacheIsUpgradedInPlaceAndKeepsItsAnswers) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  sqlite_exec(path, std::string(kTableOfSchema1) +
                        "INSERT INTO responses (key, status, body, latency_ms) VALUES "
                        "('k', 200, 'kept', 3.5);" +
                        "PRAGMA application_id = 1346528104; PRAGMA user_version = 1;");
  HttpResponse streamed;
  streamed.status = 200;
  streamed.body = "data: a\n\ndata: b\n\n";
  streamed.arrivals = {{9, 12.5}, {18, 40.25}};
  {
    ResponseCache cache(path);
    ASSERT_TRUE(cache.get("k").has_value());
    EXPECT_EQ(cache.get("k")->body, "kept");
    EXPECT_TRUE(cache.get("k")->arrivals.empty());
    cache.put("s", streamed);
  }
  EXPECT_EQ(pragma_value(path, "user_version"), kCacheSchemaVersion);
  ResponseCache reader(path);
  const auto replayed = reader.get("s");
  ASSERT_TRUE(replayed.has_value());
  ASSERT_EQ(replayed->arrivals.size(), 2u);
  EXPECT_EQ(replayed->arrivals[0].end, 9u);
  EXPECT_DOUBLE_EQ(replayed->arrivals[0].ms, 12.5);
  EXPECT_EQ(replayed->arrivals[1].end, 18u);
  EXPECT_DOUBLE_EQ(replayed->arrivals[1].ms, 40.25);
}

TEST(ResponseCache, ASchema2CacheIsCopiedIntoInsertionOrderAndKeepsItsAnswers) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  // Schema 2 as the builds before schema 3 created it: key-ordered, WITHOUT ROWID.
  sqlite_exec(path,
              "CREATE TABLE responses (key TEXT PRIMARY KEY, status INTEGER NOT NULL, body BLOB "
              "NOT NULL, latency_ms REAL NOT NULL, created_at INTEGER NOT NULL DEFAULT "
              "(strftime('%s', 'now')), arrivals TEXT) WITHOUT ROWID;"
              "INSERT INTO responses VALUES ('z', 200, 'older', 1.5, 100, NULL);"
              "INSERT INTO responses VALUES ('a', 200, 'newer', 2.5, 200, '4:1.25;9:3.5');"
              "PRAGMA application_id = 1346528104; PRAGMA user_version = 2;");
  {
    ResponseCache cache(path);
    const auto older = cache.get("z");
    ASSERT_TRUE(older.has_value());
    EXPECT_EQ(older->body, "older");
    EXPECT_DOUBLE_EQ(older->latency_ms, 1.5);
    EXPECT_TRUE(older->arrivals.empty());
    const auto newer = cache.get("a");
    ASSERT_TRUE(newer.has_value());
    EXPECT_EQ(newer->body, "newer");
    ASSERT_EQ(newer->arrivals.size(), 2u);
    EXPECT_EQ(newer->arrivals[1].end, 9u);
    EXPECT_DOUBLE_EQ(newer->arrivals[1].ms, 3.5);
    HttpResponse added;
    added.status = 200;
    added.body = "added";
    cache.put("m", added);
  }
  EXPECT_EQ(pragma_value(path, "user_version"), kCacheSchemaVersion);
  // Row ids in the order the answers came (the old table's created_at, then the new one),
  // the old table gone, every answer still there and the file sound.
  EXPECT_EQ(text_of(path,
                    "SELECT group_concat(key, ',') FROM (SELECT key FROM responses "
                    "ORDER BY id)"),
            "z,a,m");
  EXPECT_EQ(text_of(path,
                    "SELECT group_concat(name, ',') FROM sqlite_master WHERE type = "
                    "'table'"),
            "responses");
  EXPECT_EQ(text_of(path, "SELECT created_at FROM responses WHERE key = 'a'"), "200");
  EXPECT_EQ(text_of(path, "PRAGMA integrity_check"), "ok");
  ResponseCache reader(path);
  ASSERT_TRUE(reader.get("m").has_value());
  EXPECT_EQ(reader.get("m")->body, "added");
}

TEST(ResponseCache, AnswersAreKeptInTheOrderTheyCameWhateverTheirKeys) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  {
    ResponseCache cache(path);
    HttpResponse answer;
    answer.status = 200;
    for (const char* key : {"f0", "0a", "9c", "33"}) {
      answer.body = key;
      cache.put(key, answer);
    }
    cache.commit();
    answer.body = "again";
    cache.put("0a", answer);  // replaced: the newest answer, at the end
  }
  EXPECT_EQ(
      text_of(path, "SELECT group_concat(key, ',') FROM (SELECT key FROM responses ORDER BY id)"),
      "f0,9c,33,0a");
  ResponseCache reader(path);
  EXPECT_EQ(reader.get("0a")->body, "again");
}

TEST(ResponseCache, RefusesACacheOfANewerSchemaAndLeavesItAsItWas) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  { ResponseCache cache(path); }
  sqlite_exec(path, "PRAGMA user_version = 4;");
  const std::string before = bytes_of(path);
  EXPECT_EQ(error_opening(path),
            path.string() +
                ": was written by a newer promptbench (cache schema 4, this build reads 3); use "
                "another --cache path or delete it");
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(pragma_value(path, "user_version"), 4);
}

TEST(ResponseCache, RefusesAnotherApplicationsDatabaseWithoutChangingIt) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "notes.db";
  sqlite_exec(path,
              "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); "
              "CREATE INDEX notes_text ON notes(text);");
  const std::string before = bytes_of(path);
  EXPECT_EQ(error_opening(path), path.string() +
                                     ": not a promptbench cache (an SQLite database holding notes, "
                                     "notes_text); use another --cache path");
  EXPECT_EQ(bytes_of(path), before);  // not even switched to WAL (a header byte)
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(ResponseCache, RefusesADatabaseWithOurTableBesideOthers) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "mixed.db";
  sqlite_exec(path, std::string(kTableOfSchema1) + "CREATE TABLE users (name TEXT);");
  EXPECT_EQ(error_opening(path),
            path.string() +
                ": not a promptbench cache (an SQLite database holding responses, "
                "users); use another --cache path");
}

TEST(ResponseCache, RefusesADatabaseMarkedByAnotherApplication) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "other.db";
  sqlite_exec(path, "PRAGMA application_id = 1234;");
  EXPECT_EQ(error_opening(path),
            path.string() +
                ": not a promptbench cache (an SQLite database of another "
                "application, application_id 0x000004d2); use another --cache path");
}

TEST(ResponseCache, RefusesAnUnmarkedDatabaseWithAUserVersion) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "versioned.db";
  sqlite_exec(path, "PRAGMA user_version = 7;");
  EXPECT_EQ(error_opening(path),
            path.string() +
                ": not a promptbench cache (an SQLite database with user_version "
                "7); use another --cache path");
}

TEST(ResponseCache, RefusesAFileThatIsNotADatabase) {
  testing::ScratchDir dir;
  const auto path =
      dir.write("notes.db", "these are not the bytes of a SQLite database, at all....");
  EXPECT_EQ(error_opening(path),
            path.string() +
                ": not a promptbench cache (not an SQLite database); use another --cache path");
  EXPECT_EQ(bytes_of(path), "these are not the bytes of a SQLite database, at all....");
}

}  // namespace
}  // namespace promptbench
