// SPDX-License-Identifier: Apache-2.0
// A minimal HTTP/1.0 client over a raw socket to 127.0.0.1 (test harness and benchmarks).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace promptbench::testing {

struct HttpResponse {
  int status = 0;  // 0 if no status line was received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(const std::string& name) const;
};

// One HTTP/1.0 request to 127.0.0.1:port over a raw socket (Connection: close; the body is
// read to EOF and de-chunked if needed). Throws std::runtime_error on connect/send failure or
// after 30 s without data; an empty reply (closed connection) yields status 0.
HttpResponse http_request(int port, const std::string& method, const std::string& target,
                          const std::string& body = {},
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace promptbench::testing
