// SPDX-License-Identifier: Apache-2.0
// Implementation of the test browser: Chromium spawned with its DevTools pipe on fds 3 and 4,
// NUL-terminated JSON messages read with poll() and bounded waits.

#include "support/browser.hpp"
#include "support/posix.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace promptbench::testing {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Chromium reads commands from fd 3 and writes replies and events to fd 4.
constexpr int kCommandFd = 3;
constexpr int kEventFd = 4;
constexpr std::chrono::seconds kCloseTimeout{5};

// Moves a descriptor above 10 so that dup2()ing the pipe ends onto fds 3 and 4 in the child
// can never overwrite the other end before it is copied.
int move_high(int fd) {
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  const int error = errno;
  ::close(fd);
  if (moved < 0) {
    throw system_failure("fcntl(F_DUPFD_CLOEXEC)", error);
  }
  return moved;
}

struct Pipe {
  int read = -1;
  int write = -1;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw system_failure("pipe2", errno);
  }
  return {move_high(fds[0]), move_high(fds[1])};
}

std::string chromium_binary(const BrowserOptions& options) {
  if (!options.binary.empty()) {
    return options.binary;
  }
  const char* from_env = std::getenv("PROMPTBENCH_CHROMIUM");
  return from_env != nullptr && *from_env != '\0' ? from_env : "chromium";
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pb-chromium-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw system_failure("mkdtemp " + pattern, errno);
  }
  return pattern;
}

std::vector<std::string> chromium_argv(const std::string& binary, const BrowserOptions& options,
                                       const std::filesystem::path& profile) {
  return {binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-default-apps", "--disable-extensions", "--mute-audio",
          // A proxy from the environment must not see (or break) requests to 127.0.0.1.
          "--no-proxy-server", "--remote-debugging-pipe", "--user-data-dir=" + profile.string(),
          "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height),
          "about:blank"};
}

std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes = 4000) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  return text.size() <= max_bytes ? text : text.substr(text.size() - max_bytes);
}

std::string base64_decode(const std::string& encoded) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : encoded) {
    const std::size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) {
      continue;  // '=' padding (and nothing else: Chromium sends plain base64)
    }
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return bytes;
}

// A RemoteObject (a console argument, a thrown value) as text.
std::string remote_object_text(const json& object) {
  if (object.contains("description")) {
    return object["description"].get<std::string>();
  }
  if (object.contains("value")) {
    const json& value = object["value"];
    return value.is_string() ? value.get<std::string>() : value.dump();
  }
  if (object.contains("unserializableValue")) {
    return object["unserializableValue"].get<std::string>();
  }
  return object.value("type", "");
}

// "Uncaught Error: boom\n    at ..." from Runtime's ExceptionDetails.
std::string exception_text(const json& details) {
  std::string text = details.value("text", "");
  if (details.contains("exception")) {
    text += " " + remote_object_text(details["exception"]);
  }
  return text;
}

std::string console_text(const json& params) {
  std::string text = params.value("type", "log") + ":";
  for (const json& argument : params.value("args", json::array())) {
    text += " " + remote_object_text(argument);
  }
  return text;
}

bool mentions_csp(const std::string& text) {
  return text.find("Content Security Policy") != std::string::npos;
}

// What Input.dispatchKeyEvent needs so that a page's listeners see event.key and event.code.
struct KeyDescription {
  std::string key;
  std::string code;
  int key_code = 0;
  std::string text;  // empty for keys that type nothing
  bool shift = false;
};

std::optional<KeyDescription> named_key(const std::string& name) {
  static const std::map<std::string, KeyDescription> kNamed = {
      {"Enter", {"Enter", "Enter", 13, "\r"}},
      {"Escape", {"Escape", "Escape", 27, ""}},
      {"Tab", {"Tab", "Tab", 9, ""}},
      {"Backspace", {"Backspace", "Backspace", 8, ""}},
      {"Delete", {"Delete", "Delete", 46, ""}},
      {"Space", {" ", "Space", 32, " "}},
      {"ArrowUp", {"ArrowUp", "ArrowUp", 38, ""}},
      {"ArrowDown", {"ArrowDown", "ArrowDown", 40, ""}},
      {"ArrowLeft", {"ArrowLeft", "ArrowLeft", 37, ""}},
      {"ArrowRight", {"ArrowRight", "ArrowRight", 39, ""}},
      {"Home", {"Home", "Home", 36, ""}},
      {"End", {"End", "End", 35, ""}},
      {"PageUp", {"PageUp", "PageUp", 33, ""}},
      {"PageDown", {"PageDown", "PageDown", 34, ""}},
  };
  const auto found = kNamed.find(name);
  return found == kNamed.end() ? std::nullopt : std::optional(found->second);
}

// The US-layout key for one printable ASCII character.
std::optional<KeyDescription> character_key(char c) {
  const std::string text(1, c);
  if (c >= 'a' && c <= 'z') {
    const char upper = static_cast<char>(c - 'a' + 'A');
    return KeyDescription{text, std::string("Key") + upper, upper, text};
  }
  if (c >= 'A' && c <= 'Z') {
    return KeyDescription{text, std::string("Key") + c, c, text, true};
  }
  if (c >= '0' && c <= '9') {
    return KeyDescription{text, std::string("Digit") + c, c, text};
  }
  static const std::map<char, KeyDescription> kPunctuation = {
      {' ', {" ", "Space", 32, " "}},        {'/', {"/", "Slash", 191, "/"}},
      {'?', {"?", "Slash", 191, "?", true}}, {'.', {".", "Period", 190, "."}},
      {',', {",", "Comma", 188, ","}},       {'-', {"-", "Minus", 189, "-"}},
      {'=', {"=", "Equal", 187, "="}},       {';', {";", "Semicolon", 186, ";"}},
      {'[', {"[", "BracketLeft", 219, "["}}, {']', {"]", "BracketRight", 221, "]"}},
  };
  const auto found = kPunctuation.find(c);
  return found == kPunctuation.end() ? std::nullopt : std::optional(found->second);
}

KeyDescription describe_key(const std::string& key) {
  std::optional<KeyDescription> description =
      key.size() == 1 ? character_key(key[0]) : named_key(key);
  if (!description) {
    throw std::invalid_argument("Browser::press: unsupported key '" + key + "'");
  }
  return *description;
}

// A write to a Chromium that died raises SIGPIPE, which would end the whole test binary; with
// the signal blocked around the write, write() fails with EPIPE and the pending signal is
// consumed here.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_signal;
  sigset_t previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  const ssize_t written = ::write(fd, data, size);
  const int error = errno;
  if (written < 0 && error == EPIPE) {
    const timespec no_wait{};
    ::sigtimedwait(&pipe_signal, nullptr, &no_wait);
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = error;
  return written;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// State: the process, the pipe and what was observed
// ---------------------------------------------------------------------------------------------

struct Browser::State {
  BrowserOptions options;
  std::filesystem::path temp_dir;  // holds profile/ and chromium.log
  pid_t pid = -1;
  bool reaped = false;
  int to_browser = -1;
  int from_browser = -1;

  std::vector<char> read_buffer = std::vector<char>(1 << 20);  // screenshots are megabytes
  std::string inbox;              // bytes read but not yet split into messages
  std::size_t inbox_scanned = 0;  // no NUL before this offset
  int next_id = 1;
  std::map<int, json> replies;
  std::set<int> unawaited;  // commands whose replies nobody waits for
  std::string session_id;
  std::set<std::string> loaded;  // loader ids whose document fired its load event
  bool crashed = false;
  std::optional<bool> dark;
  bool print = false;

  std::vector<std::string> requests;
  std::vector<std::string> dialogs;
  std::vector<std::string> console_messages;
  std::vector<std::string> exceptions;
  std::vector<std::string> csp_violations;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Also what cleans up after a constructor that threw half-way.
  ~State() {
    try {
      shut_down();
    } catch (const std::exception&) {
      // The pipe broke while closing; the process is killed below.
    }
    if (!has_exited()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    close_fd(to_browser);
    close_fd(from_browser);
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir, ignored);
  }

  std::filesystem::path log_path() const { return temp_dir / "chromium.log"; }

  std::runtime_error failure(const std::string& what) const {
    return std::runtime_error("chromium: " + what + "; its output ends with:\n" +
                              tail_of_file(log_path()));
  }

  Clock::time_point deadline() const { return Clock::now() + options.timeout; }

  // --- the process ---------------------------------------------------------------------------

  void spawn() {
    temp_dir = make_temp_dir();
    const std::string binary = chromium_binary(options);
    std::vector<std::string> argv = chromium_argv(binary, options, temp_dir / "profile");
    const Pipe commands = make_pipe();
    const Pipe events = make_pipe();
    const int error = spawn_with_pipes(binary, argv, commands.read, events.write);
    ::close(commands.read);
    ::close(events.write);
    to_browser = commands.write;
    from_browser = events.read;
    if (error != 0) {
      throw system_failure("cannot start '" + binary + "' (set PROMPTBENCH_CHROMIUM or run " +
                               "scripts/install-test-deps.sh)",
                           error);
    }
    // Our end never blocks: writes wait in poll() with a deadline instead.
    ::fcntl(to_browser, F_SETFL, ::fcntl(to_browser, F_GETFL) | O_NONBLOCK);
  }

  int spawn_with_pipes(const std::string& binary, std::vector<std::string>& argv, int commands_read,
                       int events_write) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = log_path().string();
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_adddup2(&actions, commands_read, kCommandFd);
    posix_spawn_file_actions_adddup2(&actions, events_write, kEventFd);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // Whatever the test binary blocks or ignores (SIGPIPE in the harness threads), Chromium
    // starts with the defaults.
    sigset_t none;
    sigset_t pipe_signal;
    sigemptyset(&none);
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &pipe_signal);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> c_argv;
    for (std::string& arg : argv) {
      c_argv.push_back(arg.data());
    }
    c_argv.push_back(nullptr);
    const int error =
        ::posix_spawnp(&pid, binary.c_str(), &actions, &attributes, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
      pid = -1;
    }
    return error;
  }

  bool has_exited() {
    if (!reaped && pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == pid) {
      reaped = true;
    }
    return reaped || pid <= 0;
  }

  // Browser.close, then SIGKILL of our own PID only if it has not gone after kCloseTimeout.
  void shut_down() {
    if (has_exited()) {
      return;
    }
    post("Browser.close", json::object(), false);
    const auto give_up = Clock::now() + kCloseTimeout;
    while (!has_exited() && Clock::now() < give_up) {
      discard_output(std::chrono::milliseconds(20));
    }
    if (!has_exited()) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      reaped = true;
    }
  }

  // Keeps reading while Chromium closes, so it never blocks on a full pipe.
  void discard_output(std::chrono::milliseconds wait) {
    if (from_browser < 0) {
      std::this_thread::sleep_for(wait);
      return;
    }
    pollfd fd{from_browser, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait.count())) > 0 &&
        ::read(from_browser, read_buffer.data(), read_buffer.size()) <= 0) {
      close_fd(from_browser);
    }
  }

  // --- the pipe ------------------------------------------------------------------------------

  void write_message(const json& message) {
    const std::string bytes = message.dump() + '\0';
    std::size_t written = 0;
    const auto give_up = deadline();
    while (written < bytes.size()) {
      pollfd fd{to_browser, POLLOUT, 0};
      if (::poll(&fd, 1, remaining_ms(give_up)) == 0) {
        throw failure("not reading its DevTools pipe");
      }
      const ssize_t n =
          write_without_sigpipe(to_browser, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        throw failure("DevTools pipe closed (" + std::string(std::strerror(errno)) + ")");
      }
      written += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
  }

  // Sends a command, to the page session unless `to_page` is false; returns its id.
  int post(const std::string& method, json params, bool to_page = true) {
    json message = {{"id", next_id++}, {"method", method}, {"params", std::move(params)}};
    if (to_page && !session_id.empty()) {
      message["sessionId"] = session_id;
    }
    write_message(message);
    return message["id"].get<int>();
  }

  // Reads what is available (waiting until `give_up` for something) and handles each complete
  // message; false if nothing arrived in time.
  bool read_some(Clock::time_point give_up) {
    pollfd fd{from_browser, POLLIN, 0};
    const int ready = ::poll(&fd, 1, remaining_ms(give_up));
    if (ready < 0 && errno == EINTR) {
      return true;
    }
    if (ready <= 0) {
      return false;
    }
    const ssize_t n = ::read(from_browser, read_buffer.data(), read_buffer.size());
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      throw failure("exited or closed its DevTools pipe");
    }
    inbox.append(read_buffer.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    split_inbox();
    return true;
  }

  void split_inbox() {
    std::size_t start = 0;
    for (std::size_t end = inbox.find('\0', inbox_scanned); end != std::string::npos;
         end = inbox.find('\0', start)) {
      handle(json::parse(inbox.begin() + static_cast<std::ptrdiff_t>(start),
                         inbox.begin() + static_cast<std::ptrdiff_t>(end)));
      start = end + 1;
    }
    inbox.erase(0, start);
    inbox_scanned = inbox.size();
  }

  // Reads until `done()` holds; throws (naming `what`) at the deadline or on a page crash.
  template <typename Condition>
  void read_until(Condition done, Clock::time_point give_up, const std::string& what) {
    while (!done()) {
      if (crashed) {
        throw failure("the page crashed while waiting for " + what);
      }
      if (!read_some(give_up) && Clock::now() >= give_up) {
        throw failure("no " + what + " within " + std::to_string(options.timeout.count()) + " ms");
      }
    }
  }

  // Handles what has already arrived, without waiting.
  void read_pending() {
    while (read_some(Clock::now())) {
    }
  }

  json call(const std::string& method, json params, bool to_page = true) {
    const int id = post(method, std::move(params), to_page);
    read_until([&] { return replies.count(id) != 0; }, deadline(), "reply to " + method);
    json reply = std::move(replies[id]);
    replies.erase(id);
    if (reply.contains("error")) {
      throw std::runtime_error(method + " failed: " + reply["error"].dump());
    }
    return reply.value("result", json::object());
  }

  // --- messages ------------------------------------------------------------------------------

  void handle(const json& message) {
    if (message.contains("id")) {
      const int id = message["id"].get<int>();
      if (unawaited.erase(id) == 0) {
        replies[id] = message;
      }
      return;
    }
    if (message.value("sessionId", "") == session_id && !session_id.empty()) {
      observe(message.value("method", ""), message.value("params", json::object()));
    }
  }

  void observe(const std::string& method, const json& params) {
    if (method == "Page.lifecycleEvent" && params.value("name", "") == "load") {
      loaded.insert(params.value("loaderId", ""));
    } else if (method == "Network.requestWillBeSent") {
      requests.push_back(params["request"]["url"].get<std::string>());
    } else if (method == "Page.javascriptDialogOpening") {
      dismiss_dialog(params);
    } else if (method == "Runtime.consoleAPICalled") {
      record_console(console_text(params));
    } else if (method == "Log.entryAdded") {
      const json& entry = params["entry"];
      record_console(entry.value("level", "info") + ": " + entry.value("text", ""));
    } else if (method == "Runtime.exceptionThrown") {
      exceptions.push_back(exception_text(params["exceptionDetails"]));
    } else if (method == "Inspector.targetCrashed") {
      crashed = true;
    }
  }

  void record_console(const std::string& text) {
    console_messages.push_back(text);
    if (mentions_csp(text)) {
      csp_violations.push_back(text);
    }
  }

  // A dialog blocks the page (and any evaluate in flight) until answered, so it is answered
  // here, without waiting for the reply.
  void dismiss_dialog(const json& params) {
    dialogs.push_back(params.value("type", "dialog") + ": " + params.value("message", ""));
    const bool leave_page = params.value("type", "") == "beforeunload";
    unawaited.insert(post("Page.handleJavaScriptDialog", {{"accept", leave_page}}));
  }

  // --- the page ------------------------------------------------------------------------------

  // Attaches a flat session to the page Chromium opened at start (or to a new one).
  void attach_to_page() {
    const json targets = call("Target.getTargets", json::object(), false);
    std::string target_id;
    for (const json& target : targets["targetInfos"]) {
      if (target.value("type", "") == "page") {
        target_id = target["targetId"].get<std::string>();
        break;
      }
    }
    if (target_id.empty()) {
      target_id = call("Target.createTarget", {{"url", "about:blank"}}, false)["targetId"]
                      .get<std::string>();
    }
    session_id = call("Target.attachToTarget", {{"targetId", target_id}, {"flatten", true}},
                      false)["sessionId"]
                     .get<std::string>();
    for (const char* domain : {"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"}) {
      call(domain, json::object());
    }
    // The viewport is exactly width x height (the window would lose some to its frame), and
    // no scrollbar takes width from the page: screenshots have the same size everywhere.
    call("Emulation.setDeviceMetricsOverride", {{"width", options.width},
                                                {"height", options.height},
                                                {"deviceScaleFactor", 1},
                                                {"mobile", false}});
    call("Emulation.setScrollbarsHidden", {{"hidden", true}});
    // Lifecycle events name the navigation they belong to, unlike Page.loadEventFired, so a
    // late load of the previous document cannot be mistaken for the new one.
    call("Page.setLifecycleEventsEnabled", {{"enabled", true}});
  }

  void apply_media() {
    json params = {{"media", print ? "print" : ""}};
    if (dark) {
      const json scheme = {{"name", "prefers-color-scheme"}, {"value", *dark ? "dark" : "light"}};
      params["features"] = json::array({scheme});
    }
    call("Emulation.setEmulatedMedia", params);
  }
};

// ---------------------------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------------------------

// If spawning or attaching throws, m_state's destructor stops Chromium and removes the profile.
Browser::Browser(BrowserOptions options) : m_state(std::make_unique<State>()) {
  m_state->options = std::move(options);
  m_state->spawn();
  m_state->attach_to_page();
}

Browser::~Browser() = default;

void Browser::open(const std::string& url) {
  const json result = m_state->call("Page.navigate", {{"url", url}});
  if (result.contains("errorText")) {
    throw std::runtime_error("cannot open " + url + ": " + result["errorText"].get<std::string>());
  }
  if (!result.contains("loaderId")) {
    return;  // a same-document navigation (only the #fragment changed) loads nothing
  }
  const std::string loader = result["loaderId"].get<std::string>();
  m_state->read_until([&] { return m_state->loaded.count(loader) != 0; }, m_state->deadline(),
                      "load event for " + url);
}

json Browser::evaluate(const std::string& expression) {
  const json result =
      m_state->call("Runtime.evaluate",
                    {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails")) {
    throw std::runtime_error("evaluate(" + expression +
                             ") threw: " + exception_text(result["exceptionDetails"]));
  }
  return result["result"].value("value", json());
}

bool Browser::wait_until(const std::string& expression, std::chrono::milliseconds timeout) {
  const auto give_up = Clock::now() + timeout;
  while (evaluate(expression) != json(true)) {
    if (Clock::now() >= give_up) {
      return false;
    }
    // Events keep being recorded between polls.
    m_state->read_some(std::min(give_up, Clock::now() + std::chrono::milliseconds(50)));
  }
  return true;
}

void Browser::press(const std::string& key) {
  const KeyDescription description = describe_key(key);
  json event = {{"key", description.key},
                {"code", description.code},
                {"windowsVirtualKeyCode", description.key_code},
                {"nativeVirtualKeyCode", description.key_code},
                {"modifiers", description.shift ? 8 : 0}};
  json down = event;
  // keyDown with text also produces the keypress and the typed character; rawKeyDown does not.
  down["type"] = description.text.empty() ? "rawKeyDown" : "keyDown";
  if (!description.text.empty()) {
    down["text"] = description.text;
    down["unmodifiedText"] = description.text;
  }
  m_state->call("Input.dispatchKeyEvent", down);
  event["type"] = "keyUp";
  m_state->call("Input.dispatchKeyEvent", event);
}

void Browser::type(const std::string& text) {
  m_state->call("Input.insertText", {{"text", text}});
}

void Browser::click(const std::string& selector) {
  const json center =
      evaluate("(() => { const element = document.querySelector(" + json(selector).dump() +
               "); if (!element) return null;"
               " element.scrollIntoView({block: 'center', inline: 'center'});"
               " const box = element.getBoundingClientRect();"
               " return {x: box.left + box.width / 2,"
               " y: box.top + box.height / 2}; })()");
  if (center.is_null()) {
    throw std::runtime_error("Browser::click: nothing matches '" + selector + "'");
  }
  const json at = {{"x", center["x"]}, {"y", center["y"]}};
  m_state->call("Input.dispatchMouseEvent",
                {{"type", "mouseMoved"}, {"x", at["x"]}, {"y", at["y"]}});
  for (const char* type : {"mousePressed", "mouseReleased"}) {
    m_state->call("Input.dispatchMouseEvent",
                  {{"type", type},
                   {"x", at["x"]},
                   {"y", at["y"]},
                   {"button", "left"},
                   {"buttons", std::string(type) == "mousePressed" ? 1 : 0},
                   {"clickCount", 1}});
  }
}

void Browser::screenshot(const std::filesystem::path& path, bool full_page) {
  json params = {{"format", "png"}};
  if (full_page) {
    const json size = m_state->call("Page.getLayoutMetrics", json::object())["cssContentSize"];
    params["captureBeyondViewport"] = true;
    params["clip"] = {
        {"x", 0}, {"y", 0}, {"width", size["width"]}, {"height", size["height"]}, {"scale", 1}};
  }
  const std::string png =
      base64_decode(m_state->call("Page.captureScreenshot", params)["data"].get<std::string>());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << png;
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

void Browser::set_dark(bool dark) {
  m_state->dark = dark;
  m_state->apply_media();
}

void Browser::emulate_print(bool print) {
  m_state->print = print;
  m_state->apply_media();
}

std::vector<std::string> Browser::requests() {
  m_state->read_pending();
  return m_state->requests;
}

std::vector<std::string> Browser::dialogs() {
  m_state->read_pending();
  return m_state->dialogs;
}

std::vector<std::string> Browser::console_messages() {
  m_state->read_pending();
  return m_state->console_messages;
}

std::vector<std::string> Browser::exceptions() {
  m_state->read_pending();
  return m_state->exceptions;
}

std::vector<std::string> Browser::csp_violations() {
  m_state->read_pending();
  return m_state->csp_violations;
}

void Browser::clear_observations() {
  m_state->read_pending();
  m_state->requests.clear();
  m_state->dialogs.clear();
  m_state->console_messages.clear();
  m_state->exceptions.clear();
  m_state->csp_violations.clear();
}

json Browser::command(const std::string& method, json params) {
  return m_state->call(method, std::move(params));
}

}  // namespace promptbench::testing
