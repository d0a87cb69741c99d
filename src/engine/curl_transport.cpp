// SPDX-License-Identifier: Apache-2.0
// The libcurl multi transport: one multi handle drives every transfer from one thread,
// through its socket interface over epoll (engine/curl_events.hpp).
// Easy handles are recycled (curl_easy_reset keeps their connection and DNS caches warm)
// and the multi handle's connection cache gives keep-alive reuse across requests.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <curl/curl.h>
#include <fmt/format.h>

#include "engine/curl_events.hpp"
#include "promptbench/transport.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Transfer {
  TransferId id = 0;
  std::uint64_t serial = 0;  ///< unique per start: tells a transfer from its handle's next
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string request_body;
  HttpResponse response;
  std::size_t max_bytes = 0;
  bool too_large = false;
  /// Streamed requests: record when each part of the body arrives, and give up after
  /// `idle_timeout` without a byte.
  bool stream = false;
  std::chrono::milliseconds idle_timeout{0};
  SteadyClock::time_point started;
  SteadyClock::time_point last_activity;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

/// Pieces of a streamed body whose arrival times are all kept (see on_body).
constexpr std::size_t kExactArrivals = 4096;

double ms_since(SteadyClock::time_point start, SteadyClock::time_point now) {
  return std::chrono::duration<double, std::milli>(now - start).count();
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  if (transfer->stream) {
    const auto now = SteadyClock::now();
    transfer->last_activity = now;
    const BodyArrival arrival{transfer->response.body.size(), ms_since(transfer->started, now)};
    // Past kExactArrivals pieces, those within the same millisecond are one arrival (the
    // later): a server writing a byte at a time would else cost an entry, and a cached
    // "end:ms", per byte -- many times the body's own size. Then there is at most one entry
    // per millisecond the request lasts; an ordinary stream keeps every piece's time.
    std::vector<BodyArrival>& arrivals = transfer->response.arrivals;
    const auto millisecond = [](const BodyArrival& a) { return static_cast<long long>(a.ms); };
    if (arrivals.size() >= kExactArrivals && millisecond(arrival) == millisecond(arrivals.back())) {
      arrivals.back() = arrival;
    } else {
      arrivals.push_back(arrival);
    }
  }
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.substr(0, 5) == "HTTP/") {
    transfer->response.headers.clear();  // a new response (after 100 Continue or a redirect)
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    transfer->response.headers.push_back(
        {util::lower(line.substr(0, colon)), util::trim(line.substr(colon + 1)), false});
  }
  return bytes;
}

RequestError classify(CURLcode code, const Transfer& transfer) {
  if (transfer.too_large) {
    return {ErrorKind::too_large, 0,
            fmt::format("response larger than the {} byte limit", transfer.max_bytes)};
  }
  const std::string detail =
      transfer.error_buffer[0] != '\0' ? transfer.error_buffer : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return {ErrorKind::timeout, 0, detail};
  }
  const bool no_connection = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                             code == CURLE_COULDNT_RESOLVE_PROXY;
  return {ErrorKind::network, 0, detail, no_connection};
}

/// A streamed transfer's idle limit, checked when due: `due` is when it would end if no
/// byte came meanwhile. Bytes only move a transfer's own last_activity; a check found early
/// is put back at the later time, and one for a transfer that ended is dropped.
struct IdleCheck {
  SteadyClock::time_point due;
  std::uint64_t serial = 0;  ///< the transfer's, never reused (easy handles are)
  CURL* easy = nullptr;
  bool operator>(const IdleCheck& other) const { return due > other.due; }
};

class CurlTransport final : public Transport {
 public:
  CurlTransport() : m_multi(make_multi()), m_events(m_multi) {
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, static_cast<long>(m_max_connects));
  }

  ~CurlTransport() override {
    for (auto& [easy, transfer] : m_running) {
      curl_multi_remove_handle(m_multi, easy);
      release(*transfer);
    }
    for (CURL* easy : m_idle) {
      curl_easy_cleanup(easy);
    }
    curl_multi_cleanup(m_multi);  // may still call m_events back, which outlives it
  }

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  void start(TransferId id, const HttpRequest& request, const TransferOptions& options) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->id = id;
    transfer->serial = ++m_serial;
    transfer->easy = acquire_easy();
    transfer->request_body = request.body;
    transfer->max_bytes = options.max_response_bytes;
    transfer->stream = request.stream;
    transfer->idle_timeout = request.idle_timeout;
    transfer->started = transfer->last_activity = SteadyClock::now();
    configure(*transfer, request, options);
    CURL* easy = transfer->easy;
    if (transfer->stream && transfer->idle_timeout.count() > 0) {
      watch_idle(*transfer);
    }
    m_running.emplace(easy, std::move(transfer));
    curl_multi_add_handle(m_multi, easy);  // libcurl's timer starts it on the next poll
    // Keep as many connections open for reuse as were ever in use at once: a smaller cache
    // would close and reopen connections on every wave of requests at high concurrency.
    if (m_running.size() > m_max_connects) {
      m_max_connects = m_running.size();
      curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, static_cast<long>(m_max_connects));
    }
  }

  std::vector<FinishedTransfer> poll(std::chrono::milliseconds max_wait) override {
    std::vector<FinishedTransfer> finished = std::move(m_cancelled);
    m_cancelled.clear();
    if (!m_running.empty()) {
      // The wait ends at once when libcurl's timer is due (a transfer was just added) or a
      // socket is ready; only what is ready is handed to libcurl.
      m_events.wait_and_run(finished.empty() ? poll_wait(max_wait) : std::chrono::milliseconds(0));
      collect(finished);
    }
    abort_idle_streams(finished);
    return finished;
  }

  void cancel_all() override {
    for (auto& [easy, transfer] : m_running) {
      curl_multi_remove_handle(m_multi, easy);
      m_cancelled.push_back(
          {transfer->id, tl::unexpected(RequestError{ErrorKind::cancelled, 0, "cancelled"})});
      release(*transfer);
    }
    m_running.clear();
    m_idle_checks = {};
  }

  std::size_t in_flight() const override { return m_running.size(); }

 private:
  static CURLM* make_multi() {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    CURLM* multi = initialised ? curl_multi_init() : nullptr;
    if (multi == nullptr) {
      throw std::runtime_error("cannot initialise libcurl");
    }
    return multi;
  }

  /// `max_wait`, shortened so that the next stream's idle limit is noticed on time.
  std::chrono::milliseconds poll_wait(std::chrono::milliseconds max_wait) const {
    if (m_idle_checks.empty()) {
      return max_wait;
    }
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(m_idle_checks.top().due - SteadyClock::now());
    return std::clamp(left, std::chrono::milliseconds(0), max_wait);
  }

  void watch_idle(const Transfer& transfer) {
    // Checks of ended transfers wait in the heap until due: past twice the transfers running,
    // rebuild it from the running streams, so it stays as large as what runs (amortised
    // over the starts).
    if (m_idle_checks.size() > 2 * m_running.size() + 64) {
      IdleChecks live;
      for (const auto& [easy, running] : m_running) {
        if (running->stream && running->idle_timeout.count() > 0) {
          live.push({running->last_activity + running->idle_timeout, running->serial, easy});
        }
      }
      m_idle_checks = std::move(live);
    }
    m_idle_checks.push(
        {transfer.last_activity + transfer.idle_timeout, transfer.serial, transfer.easy});
  }

  /// Ends, as timeouts, the streams that sent nothing for their idle limit. libcurl's own
  /// low-speed limit counts whole seconds; a stream's limit is usually shorter than a
  /// request's total timeout and is worth measuring in milliseconds. Only the checks that
  /// fell due are looked at, not every stream.
  void abort_idle_streams(std::vector<FinishedTransfer>& finished) {
    if (m_idle_checks.empty()) {
      return;  // the common case: no streams with an idle limit
    }
    const auto now = SteadyClock::now();
    while (!m_idle_checks.empty() && m_idle_checks.top().due <= now) {
      const IdleCheck check = m_idle_checks.top();
      m_idle_checks.pop();
      const auto it = m_running.find(check.easy);
      if (it == m_running.end() || it->second->serial != check.serial) {
        continue;  // ended meanwhile
      }
      Transfer& transfer = *it->second;
      const auto due = transfer.last_activity + transfer.idle_timeout;
      if (due > now) {
        m_idle_checks.push({due, check.serial, check.easy});  // bytes came meanwhile
        continue;
      }
      curl_multi_remove_handle(m_multi, transfer.easy);
      finished.push_back(
          {transfer.id, tl::unexpected(RequestError{
                            ErrorKind::timeout, 0,
                            fmt::format("the stream sent nothing for {} ms (idle_timeout)",
                                        transfer.idle_timeout.count())})});
      release(transfer);
      m_running.erase(it);
    }
  }

  CURL* acquire_easy() {
    if (m_idle.empty()) {
      CURL* easy = curl_easy_init();
      if (easy == nullptr) {
        throw std::runtime_error("cannot create a libcurl handle");
      }
      return easy;
    }
    CURL* easy = m_idle.back();
    m_idle.pop_back();
    return easy;
  }

  void release(Transfer& transfer) {
    curl_slist_free_all(transfer.headers);
    transfer.headers = nullptr;
    curl_easy_reset(transfer.easy);
    m_idle.push_back(transfer.easy);
  }

  static void configure(Transfer& t, const HttpRequest& request, const TransferOptions& options) {
    CURL* easy = t.easy;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    // Every method but GET carries the body (PUT and PATCH too: a custom service's `method:`);
    // CUSTOMREQUEST only renames the method of what POSTFIELDS sends.
    if (request.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.request_body.c_str());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t.request_body.size()));
    }
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    for (const auto& header : request.headers) {
      t.headers = curl_slist_append(t.headers, (header.name + ": " + header.value).c_str());
    }
    t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  }

  void collect(std::vector<FinishedTransfer>& finished) {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(m_multi, &queued)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      auto node = m_running.extract(easy);
      curl_multi_remove_handle(m_multi, easy);
      Transfer& transfer = *node.mapped();
      finished.push_back({transfer.id, result_of(code, transfer)});
      release(transfer);
    }
  }

  static TransferResult result_of(CURLcode code, Transfer& transfer) {
    if (code != CURLE_OK) {
      return tl::unexpected(classify(code, transfer));
    }
    long status = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(transfer.easy, CURLINFO_TOTAL_TIME_T, &total_us);
    transfer.response.status = static_cast<int>(status);
    transfer.response.latency_ms = static_cast<double>(total_us) / 1000.0;
    // The arrivals are timed from start(), a moment before libcurl's own clock starts: the
    // last of them bounds the latency, so a stream's ttft never exceeds its latency.
    if (!transfer.response.arrivals.empty()) {
      transfer.response.latency_ms =
          std::max(transfer.response.latency_ms, transfer.response.arrivals.back().ms);
    }
    return std::move(transfer.response);
  }

  using IdleChecks =
      std::priority_queue<IdleCheck, std::vector<IdleCheck>, std::greater<IdleCheck>>;

  CURLM* m_multi;
  CurlEvents m_events;  ///< after m_multi: destroyed after curl_multi_cleanup's callbacks
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> m_running;
  std::vector<CURL*> m_idle;
  std::vector<FinishedTransfer> m_cancelled;
  IdleChecks m_idle_checks;  ///< streams with an idle limit, earliest due first
  std::uint64_t m_serial = 0;
  std::size_t m_max_connects = 1024;  ///< libcurl's connection cache: the most ever running
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport() {
  return std::make_unique<CurlTransport>();
}

}  // namespace promptbench
