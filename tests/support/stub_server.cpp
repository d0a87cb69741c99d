// SPDX-License-Identifier: Apache-2.0
// promptbench-stub: a deterministic server speaking OpenAI chat completions, the Anthropic
// Messages API and a custom JSON service, with fault injection; used by the integration tests,
// the quickstart demo and the benchmarks. This file holds the route table, signals and main();
// the parts live in tests/support/stub/ (options, text model, state, answers, one file per API).

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "stub/answer.hpp"
#include "stub/http_server.hpp"
#include "stub/options.hpp"
#include "stub/recorder.hpp"
#include "stub/routes.hpp"
#include "stub/state.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace {

using namespace promptbench::stub;

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

// The answer routes, each under the paths its clients use (with and without /v1).
struct RouteEntry {
  const char* path;
  Route route;
  RouteHandler handler;
};
constexpr RouteEntry kAnswerRoutes[] = {
    {"/v1/chat/completions", Route::Chat, &handle_chat},
    {"/chat/completions", Route::Chat, &handle_chat},
    {"/v1/messages", Route::Messages, &handle_messages},
    {"/messages", Route::Messages, &handle_messages},
};

// /generate answers --custom-method; the other methods get 405 naming it, as a real service
// would, so a client using the wrong one fails loudly.
void install_generate(StubHttpServer& server, const Context& context) {
  const httplib::Server::Handler generate = [context](const httplib::Request& req,
                                                      httplib::Response& res) {
    serve(context, Route::Generate, &handle_generate, req, res);
  };
  const std::string method = context.options.custom_method;
  const httplib::Server::Handler wrong_method = [context, method](const httplib::Request& req,
                                                                  httplib::Response& res) {
    res.set_header("Allow", method);
    answer_error(context, Route::Generate, res, 405, "",
                 "stub: " + req.path + " answers " + method + ", not " + req.method);
  };
  server.Post("/generate", method == "POST" ? generate : wrong_method);
  server.Put("/generate", method == "PUT" ? generate : wrong_method);
  server.Patch("/generate", method == "PATCH" ? generate : wrong_method);
  server.Get("/generate", wrong_method);
  server.Delete("/generate", wrong_method);
}

void install_routes(StubHttpServer& server, const Context& context) {
  for (const auto& entry : kAnswerRoutes) {
    server.Post(entry.path, [context, entry](const httplib::Request& req, httplib::Response& res) {
      serve(context, entry.route, entry.handler, req, res);
    });
  }
  install_generate(server, context);
  StubState& state = context.state;
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
        res.set_content(error_body(Route::Chat, "invalid_request_error",
                                   res.status == 404 ? "stub: no route for " + request
                                                     : "stub: cannot read " + request + " (HTTP " +
                                                           std::to_string(res.status) + ")"),
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
}

// --record-requests and --exit-after hook in around the handlers: httplib 0.11 calls the
// post-routing handler after a handler and before writing the answer, and the logger once the
// answer (a stream included) is written.
void install_hooks(StubHttpServer& server, const StubOptions& options,
                   std::unique_ptr<RequestRecorder>& recorder) {
  if (!options.record_requests.empty()) {
    recorder = std::make_unique<RequestRecorder>(options.record_requests);
    server.set_post_routing_handler([&recorder](const httplib::Request& req, httplib::Response&) {
      // The test's own calls are not what a client under test sent.
      if (req.path != "/stats" && req.path != "/reset") {
        recorder->record(req);
      }
    });
  }
  if (options.exit_after > 0) {
    limit_answers(options.exit_after);
    server.set_logger(
        [exit_after = options.exit_after](const httplib::Request&, const httplib::Response&) {
          static std::atomic<std::uint64_t> completed{0};
          if (take_answer_mark() && ++completed == exit_after) {
            // A replica dying mid-run: no cleanup, no stats file, every other connection reset.
            ::_exit(0);
          }
        });
  }
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "promptbench-stub: deterministic OpenAI-compatible, Anthropic-compatible and custom JSON "
      "server.\n"
      "Routes: POST /v1/chat/completions, /chat/completions (OpenAI); POST /v1/messages,\n"
      "/messages (Anthropic); /generate (custom, --custom-method); GET /stats; POST /reset.\n"
      "Fault probabilities are drawn per request from a seeded PRNG (five draws per request,\n"
      "one more each for --fail-529 and --stream-error when non-zero); if several fire, the\n"
      "first of drop, 500, 429, 400, malformed, overloaded wins. See docs/STUB.md."};
  StubOptions options;
  add_options(app, options);
  CLI11_PARSE(app, argc, argv);

  ::signal(SIGPIPE, SIG_IGN);  // writes to a dropped or vanished client must not kill us
  StubHttpServer server;
  SignalWatcher watcher(server);  // before any other thread exists, so all inherit the mask
  StubState state(options);
  const Context context{options, state};
  install_routes(server, context);
  std::unique_ptr<RequestRecorder> recorder;
  try {
    install_hooks(server, options, recorder);
  } catch (const std::exception& e) {
    std::cerr << "promptbench-stub: error: --record-requests: " << e.what() << "\n";
    return 1;
  }
  server.new_task_queue = [&options] {
    return new ElasticThreadPool(options.threads, options.max_threads);
  };
  // Benchmarks keep connections open for many requests; httplib's default closes them after 5.
  // Without TCP_NODELAY, Nagle plus the client's delayed ACK adds ~40 ms to every answer, and
  // the events of a stream written before --first-token-delay-ms would be held back.
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
