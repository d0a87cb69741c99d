// SPDX-License-Identifier: Apache-2.0
#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace promptbench::cli {
namespace {

Progress busy() {
  Progress p;
  p.done = 120;
  p.total = 1000;
  p.errors = 2;
  p.cache_hits = 40;
  p.retries = 5;
  p.engine.in_flight = 12;
  p.engine.waiting_retry = 3;
  p.engine.rate_limited = true;
  return p;
}

TEST(ProgressFormat, ShowsEveryFieldWhenThereIsRoom) {
  EXPECT_EQ(format_progress(busy(), 15.0, 200),
            "[###...........................]  120/1000  0:15  12 in flight  3 waiting to retry  "
            "rate-limited  2 errors  8.0 req/s  ETA 1:50  40 cached  5 retries");
}

TEST(ProgressFormat, DropsRetriesCachedRateAndEtaBeforeTheEngineState) {
  EXPECT_EQ(format_progress(busy(), 15.0, 80),
            "120/1000  0:15  12 in flight  3 waiting to retry  rate-limited  2 errors");
  EXPECT_EQ(format_progress(busy(), 15.0, 40), "120/1000  12 in flight");
}

TEST(ProgressFormat, SaysWhatIsInFlightBeforeTheFirstAnswer) {
  Progress p;
  p.total = 60;
  p.engine.in_flight = 12;
  EXPECT_EQ(format_progress(p, 2.5, 80),
            "[..............................]  0/60  0:02  12 in flight  0 errors");
}

TEST(ProgressFormat, GivesTheBarTheRoomLeftOnAnEightyColumnTerminal) {
  Progress p;
  p.done = 120;
  p.total = 1000;
  p.engine.in_flight = 16;
  EXPECT_EQ(format_progress(p, 15.0, 80),
            "[#...............]  120/1000  0:15  16 in flight  0 errors  8.0 req/s  ETA 1:50");
}

TEST(ProgressFormat, ShowsQueuedAndASingleErrorAndRetry) {
  Progress p;
  p.done = 1;
  p.total = 4;
  p.errors = 1;
  p.retries = 1;
  p.engine.queued = 3;
  EXPECT_EQ(format_progress(p, 1.0, 200),
            "[#######.......................]  1/4  0:01  3 queued  1 error  1.0 req/s  ETA 0:03  "
            "1 retry");
}

TEST(ProgressFormat, AFinishedRunHasAFullBarAndNoEta) {
  Progress p;
  p.done = 60;
  p.total = 60;
  EXPECT_EQ(format_progress(p, 65.0, 80),
            "[##############################]  60/60  1:05  0 errors  0.9 req/s");
}

TEST(ProgressFormat, NeverReachesTheLastColumnEvenWithHugeCounts) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max();
  Progress huge = busy();
  huge.done = kHuge / 3;
  huge.total = kHuge;
  huge.errors = kHuge;
  huge.cache_hits = kHuge;
  huge.retries = kHuge;
  huge.engine.in_flight = kHuge;
  huge.engine.waiting_retry = kHuge;
  huge.engine.queued = kHuge;
  for (const std::size_t width : {40u, 60u, 80u, 120u, 200u}) {
    for (const Progress& p : {busy(), huge, Progress{}}) {
      for (const double elapsed : {0.0, 0.4, 3e9}) {
        const std::string line = format_progress(p, elapsed, width);
        EXPECT_LE(line.size(), width - 1) << width << ": " << line;
        EXPECT_FALSE(line.empty());
      }
    }
  }
  EXPECT_EQ(format_progress(huge, 1.0, 40),
            std::string("6148914691236517205/").append("18446744073709551615").substr(0, 39));
  EXPECT_EQ(format_progress(busy(), 1.0, 1), "");
}

TEST(ProgressFormat, WritesDurationsAsClockTimes) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(7.9), "0:07");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-5), "0:00");
}

/// A pipe is no terminal: the width comes from $COLUMNS, else 80.
class ProgressTerminalWidth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(m_pipe), 0);
    if (const char* columns = std::getenv("COLUMNS")) {
      m_saved = columns;
    }
  }
  void TearDown() override {
    close(m_pipe[0]);
    close(m_pipe[1]);
    if (m_saved) {
      setenv("COLUMNS", m_saved->c_str(), 1);
    } else {
      unsetenv("COLUMNS");
    }
  }
  int m_pipe[2] = {-1, -1};
  std::optional<std::string> m_saved;
};

TEST_F(ProgressTerminalWidth, FallsBackToColumnsThenEighty) {
  setenv("COLUMNS", "57", 1);
  EXPECT_EQ(terminal_width(m_pipe[1]), 57u);
  setenv("COLUMNS", "wide", 1);
  EXPECT_EQ(terminal_width(m_pipe[1]), 80u);
  setenv("COLUMNS", "0", 1);
  EXPECT_EQ(terminal_width(m_pipe[1]), 80u);
  unsetenv("COLUMNS");
  EXPECT_EQ(terminal_width(m_pipe[1]), 80u);
}

/// ProgressLine into a file: every draw starts with `\r` and clears to the end of the line,
/// a -v line is printed on a line of its own between two draws, and finishing redraws the
/// last state and ends the line. Elapsed times are masked: the test does not time itself.
TEST_F(ProgressTerminalWidth, PrintsLogLinesBetweenDrawsOfTheBar) {
  setenv("COLUMNS", "60", 1);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine line(true, out);
    Progress p;
    p.total = 2;
    p.engine.in_flight = 2;
    line.update(p);
    line.print_line("case 0 p/s: HTTP 200 in 1.0 ms");
  }
  std::rewind(out);
  std::string text;
  for (int c = std::fgetc(out); c != EOF; c = std::fgetc(out)) {
    text += static_cast<char>(c);
  }
  std::fclose(out);
  text = std::regex_replace(text, std::regex("[0-9]+:[0-9][0-9]"), "T");
  const std::string bar = "\r[" + std::string(23, '.') + "]  0/2  T  2 in flight  0 errors\x1b[K";
  EXPECT_EQ(text, bar + "\r\x1b[Kpromptbench: case 0 p/s: HTTP 200 in 1.0 ms\n" + bar + bar + "\n");
}

}  // namespace
}  // namespace promptbench::cli
