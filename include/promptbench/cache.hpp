// SPDX-License-Identifier: Apache-2.0
// The response cache: SQLite in WAL mode. It is also the run's journal: every
// successful answer is committed within one journal window of its arrival (the runner's
// JournalCadence, a few ms), so a re-run after a crash, a kill or Ctrl-C sends only what is
// missing, and at most one window's answers again. Several processes may share one file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "promptbench/http.hpp"

namespace promptbench {

/// The layout of the cache file this build reads and writes, kept in the file's
/// `PRAGMA user_version` (with `PRAGMA application_id` marking the file as promptbench's).
/// Raise it when the tables change; a build refuses a cache of a higher version.
/// Schema 2 added the arrivals of streamed answers; schema 3 keeps the answers in insertion
/// order with the key in an index of its own. An older cache is upgraded in place.
inline constexpr int kCacheSchemaVersion = 3;

/// The key of a request: SHA-256 of its canonical form -- method, URL, the non-secret
/// headers and the body -- plus the repeat index. Credentials never enter it.
[[nodiscard]] std::string cache_key(const HttpRequest& request, int repeat);

/// A cache that failed during a run (docs/FAULTS.md): it could not be written (disk full, an
/// I/O error, another process holding the write lock past the busy timeout), could not be
/// read (a corrupt file), or its file was moved, deleted or replaced under the run. what()
/// is "cannot write the cache PATH: REASON" (or "read"). Failures while opening the cache
/// are UserError instead: nothing has been sent yet.
class CacheError : public std::runtime_error {
 public:
  CacheError(const std::filesystem::path& path, bool writing, const std::string& reason);
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

/// How a ResponseCache opens its file. The defaults are production's; tests shorten the wait
/// and open the file through a fault-injecting VFS (tests/unit/faults/fault_vfs.hpp).
struct CacheOptions {
  /// How long a read or a commit waits for another process's lock before it fails. After a
  /// failed commit the wait drops to 0: a stopping run does not wait on a lock again.
  std::chrono::milliseconds busy_timeout{30'000};
  /// The registered name of the SQLite VFS to open the file with; empty: SQLite's default.
  std::string vfs;
};

class ResponseCache {
 public:
  /// Opens (creating it and its folder if needed) the cache at `path`. Throws UserError
  /// naming the path when it cannot be opened, is not an SQLite database, is another
  /// application's database, or was written by a newer promptbench (a higher
  /// kCacheSchemaVersion); none of these is changed. A cache from before schema versions
  /// (user_version 0, our one table) is adopted: marked with the current version.
  explicit ResponseCache(const std::filesystem::path& path, const CacheOptions& options = {});
  /// Commits what is still staged (best effort: a failure here is dropped, not thrown; it
  /// does not wait for a lock when a commit has already failed).
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  /// The stored answer (status, body, latency, a stream's arrivals) for `key`, if any;
  /// staged answers included. Throws CacheError when the file cannot be read (corrupt).
  [[nodiscard]] std::optional<HttpResponse> get(const std::string& key);
  /// Stages a successful answer; commit() writes it. Staging is what lets the answers of
  /// one journal window share a transaction: one WAL append and one lock round for them all
  /// instead of one each (a commit costs more CPU than anything else per request).
  void put(const std::string& key, const HttpResponse& response);
  /// Writes every staged answer in one transaction; with none staged it does nothing. The
  /// runner calls it when its journal window closes, so an answer is durable (against
  /// kill -9) a few ms after it arrived. Failure to write (disk full, an I/O error, database
  /// locked for longer than the busy timeout) throws CacheError and keeps the answers
  /// staged: a later commit() may still write them. A file moved, deleted or replaced since
  /// it was opened is never written again (SQLite would write the answers into the new
  /// file's journal over another database): every later commit() with answers staged
  /// throws CacheError. Checked before each write, so the run notices at its next commit.
  void commit();
  /// Answers staged and not yet committed.
  [[nodiscard]] std::size_t staged() const;
  [[nodiscard]] const std::filesystem::path& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace promptbench
