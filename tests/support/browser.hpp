// SPDX-License-Identifier: Apache-2.0
// A headless Chromium driven over the DevTools protocol (--remote-debugging-pipe), for tests.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace promptbench::testing {

inline constexpr std::chrono::milliseconds kBrowserTimeout{20'000};

struct BrowserOptions {
  // Empty: $PROMPTBENCH_CHROMIUM if set, else `chromium` from PATH.
  std::string binary;
  // The viewport (and the size of a screenshot that is not full-page).
  int width = 1400;
  int height = 1000;
  // The bound on every wait (start, each command, page loads).
  std::chrono::milliseconds timeout = kBrowserTimeout;
};

// One headless Chromium with one page, attached through a flat DevTools session. Each call
// blocks until Chromium answers and throws std::runtime_error when it does not within the
// timeout, so a hung browser fails the test instead of hanging it. Events that arrive in the
// meantime are recorded as observations (requests, dialogs, console, exceptions, CSP
// violations) for the whole session; JavaScript dialogs are dismissed as they open.
class Browser {
 public:
  // Starts Chromium with a fresh profile in a temp dir. Throws std::runtime_error with the
  // tail of Chromium's stderr when it cannot start.
  explicit Browser(BrowserOptions options = {});
  // Browser.close, then SIGKILL of this Chromium's own PID if it has not exited after 5 s;
  // removes the profile.
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // Navigates and waits for the load event.
  void open(const std::string& url);
  // The value of `expression` (promises awaited). Throws with the exception text when the
  // page code throws; undefined comes back as null.
  nlohmann::json evaluate(const std::string& expression);
  // Evaluates `expression` every 50 ms until it is `true`; false on timeout. A page exception
  // is thrown, not waited out.
  bool wait_until(const std::string& expression,
                  std::chrono::milliseconds timeout = kBrowserTimeout);

  // A key press (down and up) on the focused element: a printable character such as "j", "/",
  // "?" or "K", or a named key: "Enter", "Escape", "Tab", "Backspace", "Delete", "Space",
  // "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown".
  // Throws std::invalid_argument for any other key.
  void press(const std::string& key);
  // Inserts `text` into the focused element as if typed (one input event).
  void type(const std::string& text);
  // A left click in the middle of the first element matching `selector`, scrolled into view
  // first. Throws when nothing matches.
  void click(const std::string& selector);

  // Writes a PNG of the viewport, or of the whole page.
  void screenshot(const std::filesystem::path& path, bool full_page = false);
  // prefers-color-scheme: dark, or light.
  void set_dark(bool dark);
  // CSS media type print (true) or screen (false).
  void emulate_print(bool print = true);

  // Observations since the start (or the last clear_observations()), oldest first. Each
  // accessor first reads the events Chromium has already sent.
  std::vector<std::string> requests();  // every URL the page requested
  std::vector<std::string> dialogs();   // "alert: text", "confirm: text", ...
  // "log: text", "error: text", ...: console calls and the browser's own messages (a failed
  // load, a CSP violation).
  std::vector<std::string> console_messages();
  std::vector<std::string> exceptions();      // uncaught errors, with their stack
  std::vector<std::string> csp_violations();  // the console messages about a CSP violation
  void clear_observations();

  // Any DevTools command on the page's session, for what the methods above do not cover.
  nlohmann::json command(const std::string& method,
                         nlohmann::json params = nlohmann::json::object());

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace promptbench::testing
