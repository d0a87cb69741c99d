// SPDX-License-Identifier: Apache-2.0
// The response cache: SQLite in WAL mode. It is also the run's journal: every
// successful answer is committed in the event-loop turn that received it, so a re-run after
// a crash, a kill or Ctrl-C sends only what is missing. Several processes may share one file.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "promptbench/http.hpp"

namespace promptbench {

/// The layout of the cache file this build reads and writes, kept in the file's
/// `PRAGMA user_version` (with `PRAGMA application_id` marking the file as promptbench's).
/// Raise it when the tables change; a build refuses a cache of a higher version.
/// Schema 2 added the arrivals of streamed answers; a schema-1 cache is upgraded in place.
inline constexpr int kCacheSchemaVersion = 2;

/// The key of a request: SHA-256 of its canonical form -- method, URL, the non-secret
/// headers and the body -- plus the repeat index. Credentials never enter it.
[[nodiscard]] std::string cache_key(const HttpRequest& request, int repeat);

class ResponseCache {
 public:
  /// Opens (creating it and its folder if needed) the cache at `path`. Throws UserError
  /// naming the path when it cannot be opened, is not an SQLite database, is another
  /// application's database, or was written by a newer promptbench (a higher
  /// kCacheSchemaVersion); none of these is changed. A cache from before schema versions
  /// (user_version 0, our one table) is adopted: marked with the current version.
  explicit ResponseCache(const std::filesystem::path& path);
  /// Commits what is still staged (best effort: a failure here is dropped, not thrown).
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  /// The stored answer (status, body, latency, a stream's arrivals) for `key`, if any;
  /// staged answers included.
  [[nodiscard]] std::optional<HttpResponse> get(const std::string& key);
  /// Stages a successful answer; commit() writes it. Staging is what lets the answers one
  /// event-loop turn received share a transaction: one WAL append and one lock round for
  /// them all instead of one each (a commit costs more CPU than anything else per request).
  void put(const std::string& key, const HttpResponse& response);
  /// Writes every staged answer in one transaction. The runner calls it before each wait for
  /// the network, so an answer is durable (against kill -9) before the next one can arrive.
  /// Failure to write (disk full, database locked for longer than the busy timeout) throws
  /// std::runtime_error and keeps the answers staged.
  void commit();
  /// Answers staged and not yet committed.
  [[nodiscard]] std::size_t staged() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace promptbench
