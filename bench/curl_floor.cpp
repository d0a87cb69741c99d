// SPDX-License-Identifier: Apache-2.0
// The libcurl floor of the wire benchmark (issue 18, docs/BENCHMARKS.md "The libcurl floor"):
// a bare libcurl client that sends the request promptbench sent, as the stub recorded it
// (bench/wire_post.lua's request directory), N times with C transfers in flight, through the
// API promptbench's transport uses (src/engine/curl_transport.cpp, curl_events.cpp): one
// multi handle, curl_multi_socket_action over epoll, easy handles reused.
//
//   promptbench-bench-curl-floor --url http://127.0.0.1:PORT --request-dir DIR
//                                --requests N --concurrency C --mode like|minimal
//
// Modes:
// - like: promptbench's calls into libcurl per request, in kind and number: curl_easy_reset
//   and every option promptbench sets (timeouts, accept-encoding, keep-alive, TCP_NODELAY,
//   protocols, error buffer, a header list built anew, header and write callbacks), two
//   curl_easy_getinfo. The callbacks do no work of promptbench's (no header parsing).
// - minimal: the least libcurl needs: each handle configured once (URL, body, one shared
//   header list, a write callback into a reused buffer), no header callback, no timeouts.
// Both send the same bytes on the wire (the driver checks it against the recording stub).
//
// Prints one line, "curl-floor mode=M requests=N ok=N non2xx=K errors=E bytes=B
// duration_us=D", and exits 0 only if every answer was a 200.
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;  ///< scheme, host and port; the path comes from the request directory
  std::string request_dir;
  std::size_t requests = 1'000;
  int concurrency = 16;
  std::string mode = "like";
};

Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app("A bare libcurl client replaying wire_post.lua's request (the wire benchmark).",
               "promptbench-bench-curl-floor");
  app.add_option("--url", options.url, "http://HOST:PORT of the stub")->required();
  app.add_option("--request-dir", options.request_dir, "method, path, body, headers")->required();
  app.add_option("--requests", options.requests, "Requests to complete")
      ->check(CLI::Range(std::size_t{1}, std::size_t{999'999'999}));
  app.add_option("--concurrency", options.concurrency, "Transfers in flight")
      ->check(CLI::Range(1, 10'000));
  app.add_option("--mode", options.mode, "like (promptbench's libcurl calls) or minimal")
      ->check(CLI::IsMember({"like", "minimal"}));
  app.add_flag_callback(
      "--version",
      [] {
        std::cout << curl_version() << "\n";
        std::exit(0);
      },
      "Print libcurl's version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    std::exit(code == 0 ? 0 : 2);
  }
  return options;
}

std::string read_file(const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The recorded request. `headers` are "name: value" lines without Host and Content-Length,
/// which libcurl writes itself.
struct Request {
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::string> headers;
};

Request read_request(const Options& options) {
  Request request;
  request.method = read_file(options.request_dir, "method");
  request.url = options.url + read_file(options.request_dir, "path");
  request.body = read_file(options.request_dir, "body");
  std::istringstream lines(read_file(options.request_dir, "headers"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) {
      request.headers.push_back(line);
    }
  }
  return request;
}

/// Whether libcurl writes this header itself under promptbench's options (Accept by default,
/// Accept-Encoding from CURLOPT_ACCEPT_ENCODING ""): "like" leaves them to libcurl, as
/// promptbench does, instead of passing them as its own.
bool libcurl_writes(const std::string& line) {
  return line.rfind("accept:", 0) == 0 || line.rfind("accept-encoding:", 0) == 0;
}

// ---------------------------------------------------------------------------------------------
// One slot: an easy handle and what its transfer needs, reused for request after request
// ---------------------------------------------------------------------------------------------

struct Slot {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;  ///< like: built per request; minimal: the shared list
  std::string request_body;       ///< like: copied per request, as promptbench does
  std::string body;               ///< the answer, cleared (capacity kept) per request
  std::size_t header_lines = 0;
  bool too_large = false;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

constexpr std::size_t kMaxResponseBytes = 16u << 20;  // promptbench's default limit

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* slot = static_cast<Slot*>(user);
  const std::size_t bytes = size * count;
  if (slot->body.size() + bytes > kMaxResponseBytes) {
    slot->too_large = true;
    return 0;
  }
  slot->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  ++static_cast<Slot*>(user)->header_lines;
  return size * count;
}

/// promptbench's CurlTransport::configure, with its defaults (10 s connect, 60 s total).
void configure_like(Slot& slot, const Request& request) {
  CURL* easy = slot.easy;
  curl_easy_reset(easy);  // promptbench resets a handle when it returns to the pool
  curl_slist_free_all(slot.headers);
  slot.headers = nullptr;
  slot.request_body = request.body;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &slot);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot.request_body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(slot.request_body.size()));
  if (request.method != "POST") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  for (const std::string& line : request.headers) {
    if (!libcurl_writes(line)) {
      slot.headers = curl_slist_append(slot.headers, line.c_str());
    }
  }
  slot.headers = curl_slist_append(slot.headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, slot.headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &slot);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &slot);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, slot.error_buffer);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

/// Once per handle: everything stays set from one request to the next.
void configure_minimal(Slot& slot, const Request& request, curl_slist* shared_headers) {
  CURL* easy = slot.easy;
  slot.headers = nullptr;  // the shared list belongs to main
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &slot);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // else libcurl swaps SIGPIPE's handler per call
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  if (request.method != "POST") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, shared_headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &slot);
}

// ---------------------------------------------------------------------------------------------
// The event loop: curl_multi_socket_action over epoll, as engine/curl_events.cpp
// ---------------------------------------------------------------------------------------------

class Events {
 public:
  explicit Events(CURLM* multi) : m_multi(multi), m_ready(256) {
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
      throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    }
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &Events::on_socket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &Events::on_timer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
  }
  ~Events() { ::close(m_epoll); }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  void wait_and_run(int max_wait_ms) {
    int wait_ms = max_wait_ms;
    if (m_timer) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*m_timer - Clock::now());
      wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, max_wait_ms));
    }
    const int ready =
        ::epoll_wait(m_epoll, m_ready.data(), static_cast<int>(m_ready.size()), wait_ms);
    if (ready < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < ready; ++i) {
      const std::uint32_t events = m_ready[i].events;
      const int bits = ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_IN : 0) |
                       ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_OUT : 0);
      act(m_ready[i].data.fd, bits);
    }
    run_due_timer();
  }

 private:
  static int on_socket(CURL* /*easy*/, curl_socket_t socket, int what, void* self,
                       void* socket_data) {
    auto* events = static_cast<Events*>(self);
    if (what == CURL_POLL_REMOVE) {
      (void)::epoll_ctl(events->m_epoll, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    event.data.fd = socket;
    const bool known = socket_data != nullptr;
    if (::epoll_ctl(events->m_epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event) != 0) {
      const int other = errno == EEXIST ? EPOLL_CTL_MOD : errno == ENOENT ? EPOLL_CTL_ADD : -1;
      if (other >= 0) {
        (void)::epoll_ctl(events->m_epoll, other, socket, &event);
      }
    }
    if (!known) {
      curl_multi_assign(events->m_multi, socket, events);
    }
    return 0;
  }

  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
    static_cast<Events*>(self)->set_timer(timeout_ms);
    return 0;
  }

  void set_timer(long timeout_ms) {
    m_timer_changed = true;
    if (timeout_ms < 0) {
      m_timer.reset();
    } else {
      m_timer = Clock::now() + std::chrono::milliseconds(timeout_ms);
    }
  }

  void run_due_timer() {
    if (!m_timer || *m_timer > Clock::now()) {
      return;
    }
    m_timer.reset();
    m_timer_changed = false;
    act(CURL_SOCKET_TIMEOUT, 0);
    if (!m_timer_changed) {  // fired a moment early: ask again (see curl_events.cpp)
      long timeout_ms = -1;
      curl_multi_timeout(m_multi, &timeout_ms);
      set_timer(timeout_ms);
    }
  }

  void act(curl_socket_t socket, int bits) {
    int running = 0;
    curl_multi_socket_action(m_multi, socket, bits, &running);
  }

  CURLM* m_multi;
  int m_epoll = -1;
  std::vector<epoll_event> m_ready;
  std::optional<Clock::time_point> m_timer;
  bool m_timer_changed = false;
};

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

struct Counts {
  std::size_t completed = 0;
  std::size_t ok = 0;      ///< status 200
  std::size_t non2xx = 0;  ///< any status outside 200-299
  std::size_t errors = 0;  ///< transfers libcurl failed
  std::size_t bytes = 0;   ///< answer bodies
  std::string first_problem;
};

void count(Counts& counts, Slot& slot, CURLcode code, bool like) {
  ++counts.completed;
  if (code != CURLE_OK) {
    ++counts.errors;
    if (counts.first_problem.empty()) {
      counts.first_problem =
          slot.error_buffer[0] != '\0' ? slot.error_buffer : curl_easy_strerror(code);
    }
    return;
  }
  long status = 0;
  curl_easy_getinfo(slot.easy, CURLINFO_RESPONSE_CODE, &status);
  if (like) {
    curl_off_t total_us = 0;  // promptbench reads the latency of every answer
    curl_easy_getinfo(slot.easy, CURLINFO_TOTAL_TIME_T, &total_us);
  }
  counts.bytes += slot.body.size();
  if (status == 200) {
    ++counts.ok;
  } else if (status < 200 || status > 299) {
    ++counts.non2xx;
  }
  if (status != 200 && counts.first_problem.empty()) {
    counts.first_problem = fmt::format("HTTP status {}: {}", status, slot.body.substr(0, 200));
  }
}

int run(const Options& options) {
  ::signal(SIGPIPE, SIG_IGN);
  const Request request = read_request(options);
  const bool like = options.mode == "like";
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("cannot initialise libcurl");
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    throw std::runtime_error("cannot create a libcurl multi handle");
  }
  curl_slist* shared_headers = nullptr;
  if (!like) {
    for (const std::string& line : request.headers) {
      shared_headers = curl_slist_append(shared_headers, line.c_str());
    }
    shared_headers = curl_slist_append(shared_headers, "Expect:");
  }
  Counts counts;
  const auto begin = Clock::now();
  {
    Events events(multi);
    if (like) {
      // promptbench keeps as many connections as were ever running, at least 1024.
      curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                        static_cast<long>(std::max(1024, options.concurrency)));
    }
    const std::size_t slots_wanted =
        std::min(options.requests, static_cast<std::size_t>(options.concurrency));
    std::vector<Slot> slots(slots_wanted);
    std::size_t started = 0;
    for (Slot& slot : slots) {
      slot.easy = curl_easy_init();
      if (slot.easy == nullptr) {
        throw std::runtime_error("cannot create a libcurl handle");
      }
      if (like) {
        configure_like(slot, request);
      } else {
        configure_minimal(slot, request, shared_headers);
      }
      curl_multi_add_handle(multi, slot.easy);
      ++started;
    }
    while (counts.completed < options.requests) {
      events.wait_and_run(1'000);
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE) {
          continue;
        }
        CURL* easy = message->easy_handle;
        const CURLcode code = message->data.result;
        Slot* slot = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
        count(counts, *slot, code, like);
        curl_multi_remove_handle(multi, easy);
        if (started < options.requests) {
          slot->body.clear();
          slot->header_lines = 0;
          slot->too_large = false;
          slot->error_buffer[0] = '\0';
          if (like) {
            configure_like(*slot, request);
          }
          curl_multi_add_handle(multi, easy);
          ++started;
        }
      }
    }
    for (Slot& slot : slots) {
      curl_slist_free_all(slot.headers);
      curl_easy_cleanup(slot.easy);
    }
    curl_multi_cleanup(multi);  // calls events back: before it is destroyed
  }
  curl_slist_free_all(shared_headers);
  const auto duration_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin).count();
  std::cout << fmt::format(
      "curl-floor mode={} requests={} ok={} non2xx={} errors={} bytes={} duration_us={}\n",
      options.mode, counts.completed, counts.ok, counts.non2xx, counts.errors, counts.bytes,
      duration_us);
  if (!counts.first_problem.empty()) {
    std::cerr << "promptbench-bench-curl-floor: first problem: " << counts.first_problem << "\n";
  }
  return counts.ok == options.requests ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "promptbench-bench-curl-floor: error: " << e.what() << "\n";
    return 2;
  }
}
