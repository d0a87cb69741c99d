// SPDX-License-Identifier: Apache-2.0
// promptbench-stub: a deterministic OpenAI-compatible chat-completions server with fault
// injection, used by the integration tests, the quickstart demo and the benchmarks.
//
// This file is longer than the house norm because tests/CMakeLists.txt builds the stub from
// this single source; it is split into sections: options, text model, counters and faults,
// thread pool, connection dropping, HTTP handlers, signal handling and main().

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

struct StubOptions {
  std::string host = "127.0.0.1";  // address to bind
  int port = 0;                    // 0 = let the kernel pick a free port
  std::string port_file;           // if set, the chosen port is written here (atomically)
  std::string stats_file;          // if set, /stats JSON is written here on shutdown
  std::size_t threads = 64;        // worker threads started up front
  std::size_t max_threads = 1024;  // the pool grows up to this so every connection has a thread
  int backlog = 1024;              // listen() backlog; httplib's own default is only 5
  int keep_alive_timeout_s = 5;    // idle keep-alive connections are closed after this
  int latency_ms = 0;              // delay before every answer
  std::string mode = "echo";       // echo | sentiment
  std::uint64_t seed = 1;          // seed of the fault PRNG
  double fail_500 = 0.0;           // probability of a 500 answer
  double fail_429 = 0.0;           // probability of a 429 answer
  double fail_400 = 0.0;           // probability of an injected 400 answer
  double drop = 0.0;               // probability of closing the connection without an answer
  double malformed = 0.0;          // probability of a 200 answer whose body is not JSON
  int retry_after_s = 1;           // value of Retry-After on injected 429s
  int retry_after_ms = -1;         // if >= 0, send retry-after-ms instead of Retry-After
  std::uint64_t fail_first = 0;    // the first N requests (since start or /reset) get a 500
  bool no_compression = false;     // never compress (else httplib brotli/gzips JSON if accepted)
  int answer_status = 0;           // canned answer: this status (0 = none unless a body is set)
  std::string answer_body;         // canned answer body; {authorization} = the request's header
  double answer_rate = 1.0;        // probability of the canned answer (when one is set)
  [[nodiscard]] bool canned() const { return answer_status != 0 || !answer_body.empty(); }
};

// Fixed so that responses are byte-for-byte reproducible.
constexpr std::int64_t kCreated = 1700000000;

// ---------------------------------------------------------------------------------------------
// Text model
// ---------------------------------------------------------------------------------------------

// OpenAI messages carry either a string or an array of parts ({"type":"text","text":...}).
std::string message_text(const json& message) {
  if (!message.is_object()) {
    return {};
  }
  const auto content = message.find("content");
  if (content == message.end()) {
    return {};
  }
  if (content->is_string()) {
    return content->get<std::string>();
  }
  std::string text;
  if (content->is_array()) {
    for (const auto& part : *content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string()) {
        text += part["text"].get<std::string>();
      }
    }
  }
  return text;
}

std::string message_role(const json& message) {
  if (message.is_object() && message.contains("role") && message["role"].is_string()) {
    return message["role"].get<std::string>();
  }
  return {};
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!current.empty()) {
        words.push_back(std::move(current));
        current.clear();
      }
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    words.push_back(std::move(current));
  }
  return words;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

const std::unordered_set<std::string>& positive_words() {
  static const std::unordered_set<std::string> words = {
      "good",        "great",     "excellent", "love",      "loved",      "wonderful",
      "amazing",     "fantastic", "best",      "happy",     "enjoyed",    "brilliant",
      "awesome",     "perfect",   "nice",      "beautiful", "delightful", "superb",
      "outstanding", "recommend", "fun",       "like",      "liked"};
  return words;
}

const std::unordered_set<std::string>& negative_words() {
  static const std::unordered_set<std::string> words = {
      "bad",           "terrible",     "awful",    "hate",   "hated",    "boring",
      "worst",         "poor",         "horrible", "dull",   "waste",    "ugly",
      "disappointing", "disappointed", "sad",      "broken", "annoying", "mediocre",
      "useless",       "dislike",      "slow",     "fails",  "mess"};
  return words;
}

std::string sentiment_label(std::string_view text) {
  int score = 0;
  for (const auto& raw : split_words(text)) {
    std::string word;
    for (const char c : lowercase(raw)) {
      if (std::ispunct(static_cast<unsigned char>(c)) == 0) {
        word += c;
      }
    }
    score += positive_words().count(word) > 0 ? 1 : 0;
    score -= negative_words().count(word) > 0 ? 1 : 0;
  }
  return score > 0 ? "positive" : "negative";  // ties are negative by contract
}

// The reply text for a validated request (messages is an array).
std::string reply_text(const json& messages, const std::string& mode) {
  std::string last_user;
  bool one_word = false;
  for (const auto& message : messages) {
    const std::string role = message_role(message);
    const std::string text = message_text(message);
    if (role == "user") {
      last_user = text;
    }
    if ((role == "user" || role == "system") &&
        lowercase(text).find("one word") != std::string::npos) {
      one_word = true;
    }
  }
  if (mode == "echo") {
    return last_user;
  }
  const std::string label = sentiment_label(last_user);
  return one_word ? label : "The sentiment is " + label + ".";
}

json usage_json(const json& messages, const std::string& text) {
  std::size_t prompt = 0;
  for (const auto& message : messages) {
    prompt += split_words(message_text(message)).size();
  }
  const std::size_t completion = std::max<std::size_t>(1, split_words(text).size());
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

// Splits into `count` pieces at UTF-8 character boundaries (a piece may be empty for short
// texts); cutting inside a multi-byte character would make the chunks invalid JSON strings.
std::vector<std::string> split_utf8(const std::string& text, std::size_t count) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= count; ++i) {
    std::size_t end = i == count ? text.size() : text.size() * i / count;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    end = std::max(end, start);
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Counters and faults
// ---------------------------------------------------------------------------------------------

enum class Fault { None, FailFirst, Drop, Status500, Status429, Status400, Malformed, Canned };

struct BodyRecord {
  std::uint64_t requests = 0;
  std::uint64_t answered_ok = 0;
};

std::uint64_t fnv1a_64(std::string_view data) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// All counters and the fault PRNG behind one mutex: the PRNG draws and the request number are
// taken together so a given request order always yields the same faults.
class StubState {
 public:
  explicit StubState(const StubOptions& options) : m_options(options), m_rng(options.seed) {}

  struct Admission {
    std::uint64_t number = 0;  // 1-based request number since start or /reset
    std::uint64_t body_hash = 0;
    Fault fault = Fault::None;
  };

  Admission admit(const std::string& body, bool has_authorization) {
    std::lock_guard lock(m_mutex);
    Admission admission;
    admission.number = ++m_requests;
    admission.body_hash = fnv1a_64(body);
    auto& record = m_bodies[admission.body_hash];
    ++record.requests;
    m_max_requests_per_body = std::max(m_max_requests_per_body, record.requests);
    m_authorization_seen += has_authorization ? 1 : 0;
    // Always five draws per request, whatever fires, so the sequence depends only on order.
    std::array<double, 5> draws{};
    for (auto& draw : draws) {
      draw = static_cast<double>(m_rng() >> 11) * 0x1.0p-53;
    }
    if (admission.number <= m_options.fail_first) {
      admission.fault = Fault::FailFirst;
    } else if (draws[0] < m_options.drop) {
      admission.fault = Fault::Drop;
    } else if (draws[1] < m_options.fail_500) {
      admission.fault = Fault::Status500;
    } else if (draws[2] < m_options.fail_429) {
      admission.fault = Fault::Status429;
    } else if (draws[3] < m_options.fail_400) {
      admission.fault = Fault::Status400;
    } else if (draws[4] < m_options.malformed) {
      admission.fault = Fault::Malformed;
    } else if (m_options.canned() &&
               // A sixth draw only for a partial canned answer, so that runs without one keep
               // the same fault sequence as before it existed.
               (m_options.answer_rate >= 1.0 ||
                static_cast<double>(m_rng() >> 11) * 0x1.0p-53 < m_options.answer_rate)) {
      admission.fault = Fault::Canned;
    }
    return admission;
  }

  // `completed_ok` is true only for a well-formed chat completion (not for malformed bodies).
  void record_answer(std::uint64_t body_hash, int status, bool completed_ok, bool malformed) {
    std::lock_guard lock(m_mutex);
    ++m_by_status[status];
    m_malformed += malformed ? 1 : 0;
    if (completed_ok && ++m_bodies[body_hash].answered_ok == 2) {
      ++m_bodies_ok_more_than_once;
    }
  }

  void record_drop() {
    std::lock_guard lock(m_mutex);
    ++m_dropped;
  }

  void enter() {
    std::lock_guard lock(m_mutex);
    ++m_in_flight;
    m_in_flight_max = std::max(m_in_flight_max, m_in_flight);
  }

  void leave() {
    std::lock_guard lock(m_mutex);
    --m_in_flight;
  }

  void reset() {
    std::lock_guard lock(m_mutex);
    m_rng.seed(m_options.seed);
    m_requests = m_dropped = m_malformed = m_authorization_seen = 0;
    m_max_requests_per_body = m_bodies_ok_more_than_once = 0;
    m_by_status.clear();
    m_bodies.clear();
    // Requests in flight during a reset still leave later; keep the current count honest.
    m_in_flight_max = m_in_flight;
  }

  json stats() const {
    std::lock_guard lock(m_mutex);
    json by_status = json::object();
    for (const auto& [status, count] : m_by_status) {
      by_status[std::to_string(status)] = count;
    }
    return {{"requests", m_requests},
            {"by_status", by_status},
            {"dropped", m_dropped},
            {"malformed", m_malformed},
            {"unique_bodies", m_bodies.size()},
            {"bodies_answered_ok_more_than_once", m_bodies_ok_more_than_once},
            {"max_requests_per_body", m_max_requests_per_body},
            {"authorization_seen", m_authorization_seen},
            {"in_flight_max", m_in_flight_max}};
  }

 private:
  const StubOptions& m_options;
  mutable std::mutex m_mutex;
  std::mt19937_64 m_rng;
  std::uint64_t m_requests = 0;
  std::uint64_t m_dropped = 0;
  std::uint64_t m_malformed = 0;
  std::uint64_t m_authorization_seen = 0;
  std::uint64_t m_max_requests_per_body = 0;
  std::uint64_t m_bodies_ok_more_than_once = 0;
  std::uint64_t m_in_flight = 0;
  std::uint64_t m_in_flight_max = 0;
  std::map<int, std::uint64_t> m_by_status;
  std::unordered_map<std::uint64_t, BodyRecord> m_bodies;
};

// Counts a request as in flight for the lifetime of the handler, latency included.
class InFlight {
 public:
  explicit InFlight(StubState& state) : m_state(state) { m_state.enter(); }
  ~InFlight() { m_state.leave(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  StubState& m_state;
};

// ---------------------------------------------------------------------------------------------
// Thread pool
// ---------------------------------------------------------------------------------------------

// httplib runs each connection, keep-alive idle time included, on one pool thread. A fixed pool
// smaller than the number of open connections would queue whole connections behind each other,
// so this pool starts `initial` threads and adds one whenever a job finds no idle thread.
class ElasticThreadPool final : public httplib::TaskQueue {
 public:
  ElasticThreadPool(std::size_t initial, std::size_t max) : m_max(std::max(initial, max)) {
    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < initial; ++i) {
      spawn_locked();
    }
  }
  ~ElasticThreadPool() override { shutdown(); }
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  void enqueue(std::function<void()> job) override {
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(job));
    if (m_jobs.size() > m_idle && m_threads.size() < m_max) {
      spawn_locked();
    }
    m_cond.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(m_mutex);
      if (m_shutdown) {
        return;
      }
      m_shutdown = true;
    }
    m_cond.notify_all();
    for (auto& thread : m_threads) {
      thread.join();
    }
  }

 private:
  // A new thread counts as idle from birth so that enqueue() does not over-spawn.
  void spawn_locked() {
    ++m_idle;
    m_threads.emplace_back([this] { work(); });
  }

  void work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_cond.wait(lock, [this] { return !m_jobs.empty() || m_shutdown; });
      if (m_jobs.empty()) {
        return;  // shutting down and drained
      }
      auto job = std::move(m_jobs.front());
      m_jobs.pop_front();
      --m_idle;
      lock.unlock();
      job();
      lock.lock();
      ++m_idle;
    }
  }

  std::size_t m_max;
  std::mutex m_mutex;
  std::condition_variable m_cond;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  std::size_t m_idle = 0;
  bool m_shutdown = false;
};

// httplib 0.11 hard-codes listen(fd, 5); a burst of hundreds of connects would overflow that
// queue and the kernel would drop SYNs (clients retry after 1 s). Linux lets a second listen()
// on the same socket raise the backlog; svr_sock_ is protected, hence this subclass.
class StubHttpServer final : public httplib::Server {
 public:
  bool raise_backlog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

// ---------------------------------------------------------------------------------------------
// Dropping a connection
// ---------------------------------------------------------------------------------------------

int socket_port(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return -1;
}

// httplib 0.11 gives handlers no access to the connection's socket, so find it: the only
// connected socket in this process whose peer port and local port match the request's is the
// one this handler runs on (it stays open until the handler returns, so the fd cannot be
// reused meanwhile). shutdown() sends a FIN before any byte of a response; httplib's own write
// then fails and it closes the socket, so the client sees "empty reply from server".
bool drop_connection(const httplib::Request& req) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage peer{};
    sockaddr_storage local{};
    socklen_t peer_length = sizeof(peer);
    socklen_t local_length = sizeof(local);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
      continue;
    }
    if (socket_port(peer) == req.remote_port && socket_port(local) == req.local_port) {
      return ::shutdown(fd, SHUT_RDWR) == 0;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// HTTP handlers
// ---------------------------------------------------------------------------------------------

std::string error_body(const std::string& message, const std::string& type) {
  return json{{"error", {{"message", message}, {"type", type}}}}.dump();
}

// httplib 0.11 compresses an answer whose Content-Type is exactly "application/json" when the
// client accepts br or gzip, and has no switch to turn that off; it leaves other types alone.
const char* json_type(const StubOptions& options) {
  return options.no_compression ? "application/json; charset=utf-8" : "application/json";
}

void answer_json(httplib::Response& res, int status, const std::string& body,
                 const char* content_type = "application/json") {
  res.status = status;
  res.set_content(body, content_type);
}

json completion_json(const std::string& id, const std::string& model, const std::string& text,
                     const json& usage) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", kCreated},
          {"model", model},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", text}}},
                                    {"finish_reason", "stop"}}})},
          {"usage", usage}};
}

std::string sse_event(const json& chunk) {
  return "data: " + chunk.dump() + "\n\n";
}

std::vector<std::string> stream_events(const std::string& id, const std::string& model,
                                       const std::string& text, const json& usage) {
  const json base = {
      {"id", id}, {"object", "chat.completion.chunk"}, {"created", kCreated}, {"model", model}};
  std::vector<std::string> events;
  const auto pieces = split_utf8(text, text.size() >= 3 ? 3 : 2);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    json delta = {{"content", pieces[i]}};
    if (i == 0) {
      delta["role"] = "assistant";
    }
    json chunk = base;
    chunk["choices"] = json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}});
    events.push_back(sse_event(chunk));
  }
  json last = base;
  last["choices"] =
      json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}});
  last["usage"] = usage;
  events.push_back(sse_event(last));
  events.push_back("data: [DONE]\n\n");
  return events;
}

// Sends the events as separate HTTP chunks so clients exercise incremental parsing.
void answer_stream(httplib::Response& res, std::vector<std::string> events) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream", [events = std::move(events)](std::size_t, httplib::DataSink& sink) {
        for (const auto& event : events) {
          if (!sink.write(event.data(), event.size())) {
            return false;
          }
        }
        sink.done();
        return true;
      });
}

// Answers an injected fault; returns false if the fault is not one that answers here.
bool answer_fault(const StubOptions& options, StubState& state, const httplib::Request& req,
                  httplib::Response& res, const StubState::Admission& admission, bool stream) {
  const std::string id = "stub-" + std::to_string(admission.number);
  switch (admission.fault) {
    case Fault::None:
      return false;
    case Fault::Drop:
      state.record_drop();
      if (!drop_connection(req)) {
        // Fallback, never expected on Linux: promise a body and break off before it.
        std::cerr << "promptbench-stub: could not find the socket to drop; truncating\n";
        res.set_content_provider(
            1024, "application/json",
            [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      }
      return true;
    case Fault::FailFirst:
    case Fault::Status500:
      answer_json(res, 500, error_body("stub: injected server error", "server_error"),
                  json_type(options));
      break;
    case Fault::Status429:
      if (options.retry_after_ms >= 0) {
        res.set_header("retry-after-ms", std::to_string(options.retry_after_ms));
      } else {
        res.set_header("Retry-After", std::to_string(options.retry_after_s));
      }
      answer_json(res, 429, error_body("stub: injected rate limit", "rate_limit_error"),
                  json_type(options));
      break;
    case Fault::Status400:
      answer_json(res, 400, error_body("stub: invalid request", "invalid_request_error"),
                  json_type(options));
      break;
    case Fault::Canned: {
      std::string body = options.answer_body;
      const std::string placeholder = "{authorization}";
      const std::string authorization = req.get_header_value("Authorization");
      for (std::size_t at = body.find(placeholder); at != std::string::npos;
           at = body.find(placeholder, at + authorization.size())) {
        body.replace(at, placeholder.size(), authorization);
      }
      res.status = options.answer_status != 0 ? options.answer_status : 200;
      res.set_content(body,
                      !body.empty() && body.front() == '<' ? "text/html" : json_type(options));
      break;
    }
    case Fault::Malformed:
      if (stream) {
        res.set_content("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\"," +
                            "\"choices\":[{\n\ndata: [DONE]\n\n",
                        "text/event-stream");
      } else {
        res.set_content("{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"choices\":[{" +
                            "\"index\":0,\"message\":",
                        json_type(options));
      }
      res.status = 200;
      state.record_answer(admission.body_hash, 200, false, true);
      return true;
  }
  state.record_answer(admission.body_hash, res.status, false, false);
  return true;
}

void handle_chat(const StubOptions& options, StubState& state, const httplib::Request& req,
                 httplib::Response& res) {
  InFlight in_flight(state);
  const auto admission = state.admit(req.body, req.has_header("Authorization"));
  if (options.latency_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options.latency_ms));
  }
  const json request = json::parse(req.body, nullptr, false);
  const bool stream = request.is_object() && request.contains("stream") &&
                      request["stream"].is_boolean() && request["stream"].get<bool>();
  if (answer_fault(options, state, req, res, admission, stream)) {
    return;
  }
  std::string problem;
  if (request.is_discarded()) {
    problem = "stub: request body is not valid JSON";
  } else if (!request.is_object()) {
    problem = "stub: request body must be a JSON object";
  } else if (!request.contains("messages") || !request["messages"].is_array()) {
    problem = "stub: request body has no \"messages\" array";
  }
  if (!problem.empty()) {
    answer_json(res, 400, error_body(problem, "invalid_request_error"), json_type(options));
    state.record_answer(admission.body_hash, 400, false, false);
    return;
  }
  const json& messages = request["messages"];
  std::string model = "stub";
  if (request.contains("model") && request["model"].is_string()) {
    model = request["model"].get<std::string>();
  }
  const std::string text = reply_text(messages, options.mode);
  const json usage = usage_json(messages, text);
  const std::string id = "stub-" + std::to_string(admission.number);
  if (stream) {
    answer_stream(res, stream_events(id, model, text, usage));
  } else {
    answer_json(res, 200, completion_json(id, model, text, usage).dump(), json_type(options));
  }
  state.record_answer(admission.body_hash, 200, true, false);
}

void install_routes(StubHttpServer& server, const StubOptions& options, StubState& state) {
  const auto chat = [&options, &state](const httplib::Request& req, httplib::Response& res) {
    try {
      handle_chat(options, state, req, res);
    } catch (const std::exception& e) {
      answer_json(res, 500,
                  error_body(std::string("stub: internal error: ") + e.what(), "server_error"),
                  json_type(options));
    }
  };
  server.Post("/v1/chat/completions", chat);
  server.Post("/chat/completions", chat);
  server.Get("/stats", [&state](const httplib::Request&, httplib::Response& res) {
    answer_json(res, 200, state.stats().dump());
  });
  const auto reset = [&state](const httplib::Request&, httplib::Response& res) {
    state.reset();
    answer_json(res, 200, R"({"reset":true})");
  };
  server.Post("/reset", reset);  // any body, ignored
  // `curl -X POST .../reset` sends no Content-Length, and httplib 0.11 answers such a POST
  // 400 before any route runs; a pre-routing handler sees it first. With a body, the route
  // above reads it, so nothing is left in the connection for the next request.
  server.set_pre_routing_handler([reset](const httplib::Request& req, httplib::Response& res) {
    const bool bodyless = !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding");
    if (req.method != "POST" || req.path != "/reset" || !bodyless) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    reset(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Unknown routes get an OpenAI-style body too; answers that already have one keep it.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.has_header("Content-Type")) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        const std::string request = req.method + " " + req.path;
        res.set_content(error_body(res.status == 404 ? "stub: no route for " + request
                                                     : "stub: cannot read " + request + " (HTTP " +
                                                           std::to_string(res.status) + ")",
                                   "invalid_request_error"),
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
}

// ---------------------------------------------------------------------------------------------
// Files and signals
// ---------------------------------------------------------------------------------------------

// Readers poll for these files, so they must never see a partial one: write, then rename.
bool write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      return false;
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  return !error;
}

// SIGINT/SIGTERM are blocked in every thread and taken synchronously by this watcher, so
// svr.stop() runs in a normal thread context. SIGUSR1 only wakes it when main() is done.
class SignalWatcher {
 public:
  explicit SignalWatcher(httplib::Server& server) : m_server(server) {
    sigset_t set = signal_set();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread created later
    m_thread = std::thread([this] { watch(); });
  }
  ~SignalWatcher() {
    m_listen_returned = true;
    ::pthread_kill(m_thread.native_handle(), SIGUSR1);
    m_thread.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  static sigset_t signal_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    return set;
  }

  void watch() {
    const sigset_t set = signal_set();
    int signal_number = 0;
    while (::sigwait(&set, &signal_number) == 0 && signal_number == SIGUSR1) {
      if (m_listen_returned) {
        return;
      }
    }
    // stop() is a no-op before listen() has started; wait for that (or for main to give up).
    while (!m_server.is_running() && !m_listen_returned) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    m_server.stop();
    // Swallow the SIGUSR1 from the destructor so it cannot stay pending.
    while (!m_listen_returned) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  httplib::Server& m_server;
  std::thread m_thread;
  std::atomic<bool> m_listen_returned{false};
};

void add_options(CLI::App& app, StubOptions& options) {
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port to listen on; 0 picks a free port")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", options.port_file,
                 "Also write the chosen port to this file (written atomically)");
  app.add_option("--stats-file", options.stats_file, "On shutdown write the /stats JSON here");
  app.add_option("--threads", options.threads,
                 "Worker threads started up front (each open connection holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-threads", options.max_threads,
                 "Upper bound the pool grows to when every thread is busy")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--backlog", options.backlog, "listen() backlog")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--keep-alive-timeout", options.keep_alive_timeout_s,
                 "Seconds an idle keep-alive connection is kept open")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  app.add_option("--latency-ms", options.latency_ms, "Delay before each answer")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  app.add_option("--mode", options.mode,
                 "echo: reply with the last user message; sentiment: tiny lexicon classifier")
      ->capture_default_str()
      ->check(CLI::IsMember({"echo", "sentiment"}));
  app.add_option("--seed", options.seed, "Seed of the fault PRNG")->capture_default_str();
  const auto probability = CLI::Range(0.0, 1.0);
  app.add_option("--fail-500", options.fail_500, "Probability of a 500 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--fail-429", options.fail_429, "Probability of a 429 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--fail-400", options.fail_400, "Probability of an injected 400 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--drop", options.drop, "Probability of closing the connection without any answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--malformed", options.malformed,
                 "Probability of a 200 answer whose body is not valid JSON")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--answer-status", options.answer_status,
                 "Answer chat requests with this HTTP status instead (a canned answer)")
      ->check(CLI::Range(100, 599));
  app.add_option("--answer-body", options.answer_body,
                 "Body of the canned answer (default empty; {authorization} is replaced by the "
                 "request's Authorization header, like a server that echoes it)");
  app.add_option("--answer-rate", options.answer_rate,
                 "Probability of the canned answer (default 1: every request)")
      ->capture_default_str()
      ->check(probability);
  app.add_flag("--no-compression", options.no_compression,
               "Never compress answers (by default httplib compresses JSON answers with brotli "
               "or gzip when the client accepts it)");
  app.add_option("--retry-after", options.retry_after_s, "Retry-After seconds on 429 answers")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_option("--retry-after-ms", options.retry_after_ms,
                 "Send retry-after-ms: MS on 429 answers instead of Retry-After")
      ->check(CLI::Range(0, 86400000));
  app.add_option("--fail-first", options.fail_first,
                 "The first N requests (since start or POST /reset) get a 500")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "promptbench-stub: deterministic OpenAI-compatible chat-completions server.\n"
      "Routes: POST /v1/chat/completions, POST /chat/completions, GET /stats, POST /reset.\n"
      "Fault probabilities are drawn per request from a seeded PRNG (five draws per request);\n"
      "if several fire, the first of drop, 500, 429, 400, malformed wins. See docs/STUB.md."};
  StubOptions options;
  add_options(app, options);
  CLI11_PARSE(app, argc, argv);

  ::signal(SIGPIPE, SIG_IGN);  // writes to a dropped or vanished client must not kill us
  StubHttpServer server;
  SignalWatcher watcher(server);  // before any other thread exists, so all inherit the mask
  StubState state(options);
  install_routes(server, options, state);
  server.new_task_queue = [&options] {
    return new ElasticThreadPool(options.threads, options.max_threads);
  };
  // Benchmarks keep connections open for many requests; httplib's default closes them after 5.
  // Without TCP_NODELAY, Nagle plus the client's delayed ACK adds ~40 ms to every answer.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "promptbench-stub: error: cannot listen on " << options.host << ":" << options.port
              << "\n";
    return 1;
  }
  if (!server.raise_backlog(options.backlog)) {
    std::cerr << "promptbench-stub: warning: cannot raise the listen backlog\n";
  }
  if (!options.port_file.empty() &&
      !write_file_atomically(options.port_file, std::to_string(port) + "\n")) {
    std::cerr << "promptbench-stub: error: cannot write " << options.port_file << "\n";
    return 1;
  }
  std::cout << "listening on " << options.host << ":" << port << std::endl;

  const bool listened = server.listen_after_bind();
  int exit_code = 0;
  if (!options.stats_file.empty() &&
      !write_file_atomically(options.stats_file, state.stats().dump() + "\n")) {
    std::cerr << "promptbench-stub: error: cannot write " << options.stats_file << "\n";
    exit_code = 1;
  }
  if (!listened) {
    std::cerr << "promptbench-stub: error: the listening socket failed\n";
    exit_code = 1;
  }
  return exit_code;
}
