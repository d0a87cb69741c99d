// SPDX-License-Identifier: Apache-2.0
// --record-requests: every request the stub receives, one JSON line each, for tests that check
// exactly what a client sent.
#pragma once

#include <httplib.h>

#include <fstream>
#include <mutex>
#include <string>

namespace promptbench::stub {

class RequestRecorder {
 public:
  // Opens `path` for appending; throws std::runtime_error if it cannot.
  explicit RequestRecorder(const std::string& path);

  // Appends {"method","path","headers":{lower-case name: value},"body":"<raw body>"} and
  // flushes, so the line is in the file before the answer leaves. Repeated headers are joined
  // with ", "; httplib's own REMOTE_ADDR-style entries are left out; bytes that are not UTF-8
  // become U+FFFD. Thread-safe.
  void record(const httplib::Request& req);

 private:
  std::mutex m_mutex;
  std::ofstream m_out;
};

}  // namespace promptbench::stub
