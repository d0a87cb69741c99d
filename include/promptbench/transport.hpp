// SPDX-License-Identifier: Apache-2.0
// The I/O boundary: a Transport moves HttpRequests over the network and reports when each
// one ends. The engine above it decides what to send when (limits, retries, rate limits);
// tests replace the Transport with a fake that records requests and injects faults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "promptbench/http.hpp"

namespace promptbench {

struct TransferOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  std::size_t max_response_bytes = 16u << 20;
  bool verify_tls = true;
};

using TransferId = std::uint64_t;
using TransferResult = tl::expected<HttpResponse, RequestError>;

struct FinishedTransfer {
  TransferId id = 0;
  TransferResult result;
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// Starts sending `request`. The transport copies what it needs.
  virtual void start(TransferId id, const HttpRequest& request, const TransferOptions& options) = 0;
  /// Waits at most `max_wait` for progress; returns the transfers that ended meanwhile.
  /// Any HTTP status is a successful transfer; only network-level failures are errors.
  [[nodiscard]] virtual std::vector<FinishedTransfer> poll(std::chrono::milliseconds max_wait) = 0;
  /// Aborts every transfer in flight; each is reported once by the next poll() as cancelled.
  virtual void cancel_all() = 0;
  [[nodiscard]] virtual std::size_t in_flight() const = 0;
};

/// The real transport: one libcurl multi handle, keep-alive connection reuse, HTTP/2 where
/// the server offers it. Single-threaded: call it from one thread only.
[[nodiscard]] std::unique_ptr<Transport> make_curl_transport();

}  // namespace promptbench
