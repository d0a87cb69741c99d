// SPDX-License-Identifier: Apache-2.0
// Tests of the headless-Chromium driver (support/browser.hpp) against small local HTML pages.

#include "support/browser.hpp"
#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace promptbench::testing {
namespace browser_driver_test {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// One Chromium for the whole suite: starting one takes about a second. Each test starts with
// the observations cleared and opens its own page.
class BrowserDriver : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_pages = std::make_unique<TempDir>();
    s_browser = std::make_unique<Browser>();
  }
  static void TearDownTestSuite() {
    s_browser.reset();
    s_pages.reset();
  }
  void SetUp() override { browser().clear_observations(); }

  static Browser& browser() { return *s_browser; }

  // Writes `body` as pages/<name> and opens it.
  static void open_page(const std::string& name, const std::string& body) {
    const std::string path = s_pages->write(name, "<!doctype html><meta charset=utf-8>" + body);
    browser().open("file://" + path);
  }

  static std::string page_path(const std::string& name) {
    return (s_pages->path() / name).string();
  }

 private:
  static inline std::unique_ptr<TempDir> s_pages;
  static inline std::unique_ptr<Browser> s_browser;
};

// Width and height from a PNG's IHDR chunk (big-endian, right after the signature).
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  const auto read_u32 = [&png](std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      value = (value << 8) | static_cast<unsigned char>(png.at(at + i));
    }
    return value;
  };
  return {read_u32(16), read_u32(20)};
}

TEST_F(BrowserDriver, EvaluateReturnsValues) {
  open_page("values.html", "<title>Values</title><p id=greeting>hello</p>");
  EXPECT_EQ(browser().evaluate("1 + 2"), json(3));
  EXPECT_EQ(browser().evaluate("document.title"), json("Values"));
  EXPECT_EQ(browser().evaluate("document.getElementById('greeting').textContent"), json("hello"));
  EXPECT_EQ(browser().evaluate("({list: [1, 'two'], flag: true})"),
            json({{"list", {1, "two"}}, {"flag", true}}));
  EXPECT_EQ(browser().evaluate("new Promise(resolve => setTimeout(() => resolve(7), 10))"),
            json(7));
  EXPECT_TRUE(browser().evaluate("undefined").is_null());
}

TEST_F(BrowserDriver, EvaluateThrowsWithThePageException) {
  open_page("throws.html", "<p>nothing here</p>");
  try {
    browser().evaluate("throw new TypeError('nope')");
    FAIL() << "evaluate did not throw";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("TypeError: nope"));
  }
  EXPECT_THROW(browser().evaluate("Promise.reject(new Error('later'))"), std::runtime_error);
}

TEST_F(BrowserDriver, WaitUntilPollsAndGivesUp) {
  open_page("wait.html", "<script>setTimeout(() => { window.ready = true; }, 200);</script>");
  EXPECT_TRUE(browser().wait_until("window.ready === true"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(browser().wait_until("false", 300ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(BrowserDriver, KeydownListenerSeesPressedKeys) {
  open_page("keys.html",
            "<script>window.keys = [];"
            "document.addEventListener('keydown', event => window.keys.push(event.key));"
            "</script>");
  for (const char* key : {"j", "k", "Enter", "Escape", "ArrowDown", "/", "?", "G"}) {
    browser().press(key);
  }
  EXPECT_EQ(browser().evaluate("window.keys"),
            json({"j", "k", "Enter", "Escape", "ArrowDown", "/", "?", "G"}));
  EXPECT_EQ(browser().evaluate("window.keys.length"), json(8));
  EXPECT_THROW(browser().press("NoSuchKey"), std::invalid_argument);
}

TEST_F(BrowserDriver, TypedTextReachesTheFocusedInput) {
  open_page("input.html", "<input id=search autofocus>");
  browser().evaluate("document.getElementById('search').focus()");
  browser().type("latency p95");
  browser().press("Backspace");
  EXPECT_EQ(browser().evaluate("document.getElementById('search').value"), json("latency p9"));
}

TEST_F(BrowserDriver, ClickReachesAButtonBelowTheFold) {
  open_page("click.html",
            "<div style='height: 3000px'></div>"
            "<button id=go onclick='window.clicks = (window.clicks || 0) + 1'>Go</button>");
  browser().click("#go");
  EXPECT_EQ(browser().evaluate("window.clicks"), json(1));
  EXPECT_THROW(browser().click("#missing"), std::runtime_error);
}

TEST_F(BrowserDriver, ScreenshotIsAPngOfTheViewportOrTheWholePage) {
  open_page("tall.html", "<body style='margin: 0'><div style='height: 2500px'>tall</div>");
  const std::string viewport = page_path("viewport.png");
  const std::string full = page_path("full.png");
  browser().screenshot(viewport);
  browser().screenshot(full, true);
  const std::string png = read_file(viewport);
  ASSERT_GE(png.size(), 24U);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png_size(png), std::make_pair(1400U, 1000U));
  EXPECT_EQ(png_size(read_file(full)), std::make_pair(1400U, 2500U));  // no scrollbar width lost
}

TEST_F(BrowserDriver, DialogsAreRecordedAndDoNotBlock) {
  open_page("alert.html", "<script>alert('hello from the page');</script><p>after</p>");
  EXPECT_EQ(browser().evaluate("document.querySelector('p').textContent"), json("after"));
  EXPECT_EQ(browser().evaluate("confirm('sure?')"), json(false));
  EXPECT_THAT(browser().dialogs(), ElementsAre("alert: hello from the page", "confirm: sure?"));
}

TEST_F(BrowserDriver, RequestsListEveryAttemptedFetch) {
  open_page("network.html",
            "<img src='http://127.0.0.1:9/y' onerror='window.imageFailed = true'>"
            "<script>fetch('http://127.0.0.1:9/x').catch(() => { window.fetchFailed = true; });"
            "</script>");
  ASSERT_TRUE(browser().wait_until("window.fetchFailed === true && window.imageFailed === true"));
  const auto requests = browser().requests();
  EXPECT_THAT(requests, Contains("http://127.0.0.1:9/x"));
  EXPECT_THAT(requests, Contains("http://127.0.0.1:9/y"));
  EXPECT_THAT(requests, Contains("file://" + page_path("network.html")));
}

TEST_F(BrowserDriver, ConsoleAndUncaughtErrorsAreRecorded) {
  open_page("errors.html",
            "<script>console.log('counted', 42); console.error('bad thing');</script>"
            "<script>throw new Error('kaboom');</script>");
  EXPECT_THAT(browser().console_messages(), Contains("log: counted 42"));
  EXPECT_THAT(browser().console_messages(), Contains("error: bad thing"));
  ASSERT_EQ(browser().exceptions().size(), 1U);
  EXPECT_THAT(browser().exceptions()[0], HasSubstr("Error: kaboom"));
}

TEST_F(BrowserDriver, CspViolationsAreRecorded) {
  open_page("csp.html",
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'\">"
            "<img src='blocked.png'>");
  ASSERT_TRUE(browser().wait_until("document.readyState === 'complete'"));
  const auto violations = browser().csp_violations();
  ASSERT_FALSE(violations.empty());
  EXPECT_THAT(violations[0], HasSubstr("blocked.png"));
}

TEST_F(BrowserDriver, MediaEmulationFlipsColorSchemeAndPrint) {
  open_page("media.html", "<p>media</p>");
  const std::string dark = "matchMedia('(prefers-color-scheme: dark)').matches";
  browser().set_dark(true);
  EXPECT_EQ(browser().evaluate(dark), json(true));
  browser().emulate_print();
  EXPECT_EQ(browser().evaluate("matchMedia('print').matches"), json(true));
  EXPECT_EQ(browser().evaluate(dark), json(true));
  browser().emulate_print(false);
  browser().set_dark(false);
  EXPECT_EQ(browser().evaluate(dark), json(false));
  EXPECT_EQ(browser().evaluate("matchMedia('print').matches"), json(false));
}

TEST(BrowserDriverStart, AMissingBinaryThrows) {
  BrowserOptions options;
  options.binary = "/nonexistent/chromium";
  EXPECT_THROW(Browser{options}, std::runtime_error);
}

TEST(BrowserDriverStart, ABinaryThatExitsThrowsWithoutHanging) {
  BrowserOptions options;
  options.binary = "false";
  options.timeout = 5s;
  const auto start = std::chrono::steady_clock::now();
  try {
    Browser browser(options);
    FAIL() << "a browser that exits at once did not throw";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("chromium"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// Its own browser, for its short timeout: a page that never answers fails the call in time.
TEST(BrowserDriverStart, AHungPageFailsTheCallInsteadOfHangingIt) {
  BrowserOptions options;
  options.timeout = 1s;
  Browser browser(options);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(browser.evaluate("new Promise(() => {})"), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(browser.evaluate("6 * 7"), json(42));
}

}  // namespace
}  // namespace browser_driver_test
}  // namespace promptbench::testing
