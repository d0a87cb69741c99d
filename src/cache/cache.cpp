// SPDX-License-Identifier: Apache-2.0
// The SQLite response cache. WAL mode lets readers and one writer work at once across
// processes; synchronous=NORMAL makes each commit durable against a crash of this process
// (kill -9), which is what the journal needs, without an fsync per answer. Answers are
// staged and committed in groups, when the runner's journal window closes (see cache.hpp).
#include "promptbench/cache.hpp"
#include "promptbench/redact.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "util/sha256.hpp"

namespace promptbench {

namespace {

/// `PRAGMA application_id` of every cache this build creates or adopts ("PBch"): how a
/// promptbench cache is told apart from another program's SQLite file.
constexpr int kApplicationId = 0x50426368;

/// Schema 3: a rowid table in insertion order with the key in an index of its own. A run's
/// answers are appended at the table's right edge, so a commit dirties a few table pages
/// and one index page per answer, not one random page of a table holding the bodies as the
/// key-ordered (WITHOUT ROWID) table of schemas 0-2 did. The index is several times denser
/// than that table, so its interior pages stay in SQLite's default page cache (2 MiB) up to
/// a million answers: the CPU per request stays flat from 1,000 to 1,000,000 cases with no
/// larger cache, whose memory would grow with the cases (BENCHMARKS.md).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS responses (
  id         INTEGER PRIMARY KEY,
  key        TEXT NOT NULL UNIQUE,
  status     INTEGER NOT NULL,
  body       BLOB NOT NULL,
  latency_ms REAL NOT NULL,
  created_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
  arrivals   TEXT
);
)sql";

/// A streamed answer's arrivals as text, "end:ms" pairs joined by ';' (NULL when there are
/// none): replayed from the cache, the answer has the same time to first token.
std::string encode_arrivals(const std::vector<BodyArrival>& arrivals) {
  std::string text;
  for (const BodyArrival& arrival : arrivals) {
    // Shortest text that reads back as the same double: a replay has the very same ttft.
    text += fmt::format("{}{}:{}", text.empty() ? "" : ";", arrival.end, arrival.ms);
  }
  return text;
}

std::vector<BodyArrival> decode_arrivals(std::string_view text) {
  std::vector<BodyArrival> arrivals;
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  while (at < end) {
    // "end:ms", then ';' or the end; a pair that does not read so is skipped.
    BodyArrival arrival;
    const auto offset = std::from_chars(at, end, arrival.end);
    const bool has_colon = offset.ec == std::errc() && offset.ptr < end && *offset.ptr == ':';
    const auto ms = has_colon ? std::from_chars(offset.ptr + 1, end, arrival.ms)
                              : std::from_chars_result{offset.ptr, std::errc::invalid_argument};
    if (ms.ec == std::errc() && (ms.ptr == end || *ms.ptr == ';')) {
      arrivals.push_back(arrival);
    }
    const char* next = std::find(at, end, ';');
    at = next == end ? end : next + 1;
  }
  return arrivals;
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error(fmt::format("cache: {}", sqlite3_errmsg(db)));
    }
  }
  ~Statement() { sqlite3_finalize(m_statement); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return m_statement; }
  void reset() const {
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
  }

 private:
  sqlite3_stmt* m_statement = nullptr;
};

/// What a file opened as the cache holds, read before anything is written to it.
struct Identity {
  int application_id = 0;
  int user_version = 0;
  std::vector<std::string> objects;  ///< tables, views, indexes, triggers (not SQLite's own)
  bool has_our_table = false;        ///< `responses` with the columns this build reads
  bool has_arrivals = false;         ///< the column schema 2 added
  bool has_row_ids = false;          ///< the insertion-order layout of schema 3
  bool has_created_at = false;       ///< every schema has it; a hand-made table may not

  [[nodiscard]] bool empty() const { return objects.empty(); }
  [[nodiscard]] bool current() const {
    return application_id == kApplicationId && user_version == kCacheSchemaVersion &&
           has_our_table && has_arrivals && has_row_ids && objects.size() == 1;
  }
};

/// SQLite's message for a failure during a run, with what it means for the user where
/// SQLite's own words ("database is locked") do not say it.
std::string describe_failure(sqlite3* db, const std::string& message,
                             std::chrono::milliseconds busy_timeout) {
  switch (sqlite3_errcode(db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fmt::format("{} (another process held it for longer than {})", message,
                         busy_timeout.count() % 1000 == 0
                             ? fmt::format("{} s", busy_timeout.count() / 1000)
                             : fmt::format("{} ms", busy_timeout.count()));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return fmt::format("{} (the file is corrupt: delete it or use another --cache path)",
                         message);
    default:
      return message;
  }
}

[[noreturn]] void refuse(const std::string& path, const std::string& message) {
  throw UserError(SourceLocation{path}, "", message);
}

/// Refuses a file this build must not write to: another application's database, or a cache
/// of a newer schema (an older build would corrupt what it does not know about).
void check_identity(const Identity& id, const std::string& path) {
  if (id.application_id != 0 && id.application_id != kApplicationId) {
    refuse(path, fmt::format("not a promptbench cache (an SQLite database of another "
                             "application, application_id {:#010x}); use another --cache path",
                             static_cast<std::uint32_t>(id.application_id)));
  }
  if (id.application_id == kApplicationId && id.user_version > kCacheSchemaVersion) {
    refuse(path, fmt::format("was written by a newer promptbench (cache schema {}, this build "
                             "reads {}); use another --cache path or delete it",
                             id.user_version, kCacheSchemaVersion));
  }
  // A cache written before schema versions existed has neither mark but our one table; an
  // empty file is new. Anything else belongs to someone else.
  const bool ours =
      id.application_id == kApplicationId ||
      (id.user_version == 0 && (id.empty() || (id.has_our_table && id.objects.size() == 1)));
  if (!ours) {
    refuse(path, fmt::format("not a promptbench cache (an SQLite database {}); use "
                             "another --cache path",
                             id.empty() ? fmt::format("with user_version {}", id.user_version)
                                        : fmt::format("holding {}", fmt::join(id.objects, ", "))));
  }
}

}  // namespace

std::string cache_key(const HttpRequest& request, int repeat) {
  util::Sha256 hasher;
  hasher.update(request.method);
  hasher.update("\n");
  hasher.update(request.url);
  hasher.update("\n");
  for (const auto& header : request.headers) {
    if (!header.secret) {
      hasher.update(header.name);
      hasher.update(": ");
      hasher.update(header.value);
      hasher.update("\n");
    }
  }
  hasher.update("\n");
  hasher.update(request.body);
  hasher.update(fmt::format("\n#repeat={}", repeat));
  return hasher.hex();
}

CacheError::CacheError(const std::filesystem::path& path, bool writing, const std::string& reason)
    : std::runtime_error(fmt::format("cannot {} the cache {}: {}", writing ? "write" : "read",
                                     path.string(), reason)),
      m_path(path) {}

struct ResponseCache::Impl {
  using Rows = std::vector<std::vector<std::string>>;

  std::filesystem::path path;
  std::chrono::milliseconds busy_timeout{};
  sqlite3* db = nullptr;
  std::unique_ptr<Statement> select;
  std::unique_ptr<Statement> insert;
  /// Answers put() and not yet committed, oldest first (a turn's worth: at most a few hundred).
  std::vector<std::pair<std::string, HttpResponse>> staged;
  bool failed = false;  ///< a commit failed: later ones do not wait for a lock

  ~Impl() {
    select.reset();
    insert.reset();
    sqlite3_close(db);
  }

  /// Runs `sql`, adding the rows it produces to `rows` if given: SQLite's message if it
  /// failed.
  std::optional<std::string> try_exec(const char* sql, Rows* rows = nullptr) const {
    const auto collect = [](void* out, int count, char** values, char**) {
      auto& table = *static_cast<Rows*>(out);
      table.emplace_back();
      for (int i = 0; i < count; ++i) {
        table.back().emplace_back(values[i] == nullptr ? "" : values[i]);
      }
      return 0;
    };
    char* error = nullptr;
    if (sqlite3_exec(db, sql, rows == nullptr ? nullptr : +collect, rows, &error) == SQLITE_OK) {
      return std::nullopt;
    }
    std::string message = error != nullptr ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    return message;
  }

  /// Runs `sql` during a run: a failure throws CacheError.
  void run(const char* sql) const {
    if (const auto error = try_exec(sql)) {
      throw CacheError(path, true, describe_failure(db, *error, busy_timeout));
    }
  }

  /// Whether the file at `path` is no longer the one this connection has open: it was
  /// renamed, deleted, or deleted and created again (SQLite's own check, by inode).
  [[nodiscard]] bool moved() const {
    int moved = 0;
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
           moved != 0;
  }

  void insert_row(const std::string& key, const HttpResponse& response) const {
    sqlite3_stmt* statement = insert->get();
    sqlite3_bind_text(statement, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_int(statement, 2, response.status);
    sqlite3_bind_blob(statement, 3, response.body.data(), static_cast<int>(response.body.size()),
                      SQLITE_STATIC);
    sqlite3_bind_double(statement, 4, response.latency_ms);
    const std::string arrivals = encode_arrivals(response.arrivals);
    if (arrivals.empty()) {
      sqlite3_bind_null(statement, 5);
    } else {
      sqlite3_bind_text(statement, 5, arrivals.data(), static_cast<int>(arrivals.size()),
                        SQLITE_STATIC);
    }
    const int rc = sqlite3_step(statement);
    insert->reset();
    if (rc != SQLITE_DONE) {
      throw CacheError(path, true, describe_failure(db, sqlite3_errmsg(db), busy_timeout));
    }
  }

  /// Runs `sql` while opening the cache at `path`: a failure is the user's (a bad file).
  /// Two processes opening a new file at once both switch it to WAL, which takes an
  /// exclusive lock; SQLite then answers SQLITE_BUSY at once instead of calling the busy
  /// handler (waiting could deadlock), so a busy database is retried here, as long as the
  /// busy timeout allows.
  void exec(const char* sql, const std::string& path) const { (void)query(sql, path); }

  /// exec() that returns the rows `sql` produced, each column as text ("" for NULL).
  Rows query(const char* sql, const std::string& path) const {
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
      Rows rows;
      const auto error = try_exec(sql, &rows);
      if (!error) {
        return rows;
      }
      const int code = sqlite3_errcode(db) & 0xff;
      if (code == SQLITE_NOTADB) {
        refuse(path, "not a promptbench cache (not an SQLite database); use another --cache path");
      }
      if (code != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
        refuse(path, fmt::format("cannot use the cache: {}", *error));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// Creates the table of a new file, or brings an older cache to this schema (marks one
  /// written before schema versions, copies a schema 0-2 table into the layout of schema 3
  /// with a NULL arrivals column where schema 1 had none), in one write
  /// transaction. Another process may be opening the same new file at this moment, so the
  /// file is identified again under the lock.
  void create_or_adopt(const std::string& path) const {
    exec("BEGIN IMMEDIATE", path);
    try {
      const Identity found = identify(path);
      check_identity(found, path);
      if (found.has_our_table && !found.has_row_ids) {
        to_insertion_order(found, path);
      }
      exec(kSchema, path);
      if (found.has_our_table && found.has_row_ids && !found.has_arrivals) {
        exec("ALTER TABLE responses ADD COLUMN arrivals TEXT", path);
      }
      const std::string marks = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                                            kApplicationId, kCacheSchemaVersion);
      exec(marks.c_str(), path);
      exec("COMMIT", path);
    } catch (...) {
      (void)try_exec("ROLLBACK");
      throw;
    }
  }

  /// Copies the answers of a schema 0-2 table (key-ordered, WITHOUT ROWID) into the schema 3
  /// table, oldest first, within create_or_adopt()'s transaction: all of them or none.
  /// Once per file; about a second per 100,000 answers.
  void to_insertion_order(const Identity& found, const std::string& path) const {
    exec("ALTER TABLE responses RENAME TO responses_before_schema_3", path);
    exec(kSchema, path);
    const std::string copy = fmt::format(
        "INSERT INTO responses (key, status, body, latency_ms, created_at, arrivals) "
        "SELECT key, status, body, latency_ms, {}, {} FROM responses_before_schema_3 "
        "ORDER BY {}",
        found.has_created_at ? "created_at" : "strftime('%s', 'now')",
        found.has_arrivals ? "arrivals" : "NULL", found.has_created_at ? "created_at" : "key");
    exec(copy.c_str(), path);
    exec("DROP TABLE responses_before_schema_3", path);
  }

  /// identify() in one read transaction: one snapshot of the file. Read query by query,
  /// another process creating the same new file could commit between two of them, and the
  /// marks of before (none) and the table of after would look like someone else's database.
  Identity identify_snapshot(const std::string& path) const {
    exec("BEGIN", path);
    try {
      Identity id = identify(path);
      exec("COMMIT", path);
      return id;
    } catch (...) {
      (void)try_exec("ROLLBACK");
      throw;
    }
  }

  /// Reads the marks and the schema of the file: queries only, nothing is written.
  Identity identify(const std::string& path) const {
    Identity id;
    id.application_id = std::stoi(query("PRAGMA application_id", path).at(0).at(0));
    id.user_version = std::stoi(query("PRAGMA user_version", path).at(0).at(0));
    for (const auto& row : query("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite%' "
                                 "ORDER BY name",
                                 path)) {
      id.objects.push_back(row.at(0));
    }
    std::vector<std::string> columns;
    for (const auto& row : query("SELECT name FROM pragma_table_info('responses')", path)) {
      columns.push_back(row.at(0));
    }
    const auto has = [&columns](const char* name) {
      return std::find(columns.begin(), columns.end(), name) != columns.end();
    };
    id.has_our_table = has("key") && has("status") && has("body") && has("latency_ms");
    id.has_arrivals = has("arrivals");
    id.has_row_ids = has("id");
    id.has_created_at = has("created_at");
    return id;
  }
};

ResponseCache::ResponseCache(const std::filesystem::path& path, const CacheOptions& options)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->path = path;
  m_impl->busy_timeout = options.busy_timeout;
  const std::string display = path.string();
  if (path.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
  }
  if (sqlite3_open_v2(display.c_str(), &m_impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      options.vfs.empty() ? nullptr : options.vfs.c_str()) != SQLITE_OK) {
    throw UserError(SourceLocation{display}, "",
                    fmt::format("cannot open the cache: {}", sqlite3_errmsg(m_impl->db)));
  }
  sqlite3_busy_timeout(m_impl->db, static_cast<int>(options.busy_timeout.count()));
  // Whose file is it? Asked before anything is written: switching a foreign database to WAL
  // would already change its header.
  const Identity found = m_impl->identify_snapshot(display);
  check_identity(found, display);
  // Checkpointing every 10,000 pages instead of SQLite's 1,000 copies a page rewritten by
  // many answers once rather than ten times: 3% of a run's CPU instead of 10% (BENCHMARKS.md).
  m_impl->exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;",
      display);
  if (!found.current()) {
    m_impl->create_or_adopt(display);
  }
  m_impl->select = std::make_unique<Statement>(
      m_impl->db, "SELECT status, body, latency_ms, arrivals FROM responses WHERE key = ?1");
  m_impl->insert = std::make_unique<Statement>(
      m_impl->db,
      "INSERT OR REPLACE INTO responses (key, status, body, latency_ms, arrivals) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
}

ResponseCache::~ResponseCache() {
  try {
    if (m_impl->failed) {
      sqlite3_busy_timeout(m_impl->db, 0);  // the run is ending: try once, do not wait
    }
    commit();
  } catch (const std::exception&) {
    // Nothing to tell anyone from a destructor; the answers will be asked for again.
  }
}

std::optional<HttpResponse> ResponseCache::get(const std::string& key) {
  for (auto it = m_impl->staged.rbegin(); it != m_impl->staged.rend(); ++it) {
    if (it->first == key) {
      return it->second;
    }
  }
  sqlite3_stmt* select = m_impl->select->get();
  sqlite3_bind_text(select, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  std::optional<HttpResponse> found;
  const int rc = sqlite3_step(select);
  if (rc == SQLITE_ROW) {
    HttpResponse response;
    response.status = sqlite3_column_int(select, 0);
    const auto* body = static_cast<const char*>(sqlite3_column_blob(select, 1));
    response.body.assign(body == nullptr ? "" : body,
                         static_cast<std::size_t>(sqlite3_column_bytes(select, 1)));
    response.latency_ms = sqlite3_column_double(select, 2);
    if (const auto* arrivals = sqlite3_column_text(select, 3); arrivals != nullptr) {
      response.arrivals = decode_arrivals(reinterpret_cast<const char*>(arrivals));
    }
    found = std::move(response);
  } else if (rc != SQLITE_DONE) {
    const std::string reason =
        describe_failure(m_impl->db, sqlite3_errmsg(m_impl->db), m_impl->busy_timeout);
    m_impl->select->reset();
    throw CacheError(m_impl->path, false, reason);
  }
  m_impl->select->reset();
  return found;
}

void ResponseCache::put(const std::string& key, const HttpResponse& response) {
  // A server may echo a credential back; the cache is a file, so it never holds one.
  HttpResponse stored = response;
  stored.body = redact(response.body);
  m_impl->staged.emplace_back(key, std::move(stored));
}

void ResponseCache::commit() {
  if (m_impl->staged.empty()) {
    return;  // nothing to write: no need to ask where the file is (an fcntl round)
  }
  // Written after a rename, the answers would go to the journal at the old name (lost to
  // the renamed file); after a delete and re-create, into the new file's journal over a
  // database that is not ours. Never again, then: the run stops and says so.
  if (m_impl->moved()) {
    m_impl->failed = true;
    throw CacheError(m_impl->path, true,
                     "the file was moved, deleted or replaced during the run; the answers "
                     "committed before are in the file that was there when the run started");
  }
  // IMMEDIATE takes the write lock up front (waiting up to the busy timeout for another
  // process), so the transaction cannot fail half-way for want of it.
  try {
    m_impl->run("BEGIN IMMEDIATE");
    try {
      for (const auto& [key, response] : m_impl->staged) {
        m_impl->insert_row(key, response);
      }
      m_impl->run("COMMIT");
    } catch (const CacheError&) {
      (void)m_impl->try_exec("ROLLBACK");
      throw;
    }
  } catch (const CacheError&) {
    // The run stops on this; what it still commits while it stops must not wait 30 s a turn.
    m_impl->failed = true;
    sqlite3_busy_timeout(m_impl->db, 0);
    throw;
  }
  m_impl->staged.clear();
}

std::size_t ResponseCache::staged() const {
  return m_impl->staged.size();
}

const std::filesystem::path& ResponseCache::path() const {
  return m_impl->path;
}

}  // namespace promptbench
