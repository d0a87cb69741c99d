// SPDX-License-Identifier: Apache-2.0
// The progress line `eval` keeps at the bottom of the terminal: what is done, what the engine
// is doing now (in flight, waiting to retry, rate-limited) and how long it has taken. The
// layout is a pure function of the progress, the elapsed time and the width, so it is tested
// without a terminal; ProgressLine only decides when to draw and where.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

#include "promptbench/runner.hpp"

namespace promptbench::cli {

/// The progress line for a terminal `width` columns wide: ASCII only, at most width - 1
/// characters (writing into the last column makes some terminals wrap). Fields are dropped
/// from the least important (retries, cached, rate, ETA) as the width shrinks; the counts
/// and what the engine is doing stay longest.
[[nodiscard]] std::string format_progress(const Progress& progress, double elapsed_seconds,
                                          std::size_t width);

/// "0:07", "12:34", "1:02:03".
[[nodiscard]] std::string format_duration(double seconds);

/// Columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
[[nodiscard]] std::size_t terminal_width(int fd);

/// Draws format_progress on `out` in place (`\r`, the line, `\x1b[K`), at most ten times a
/// second, measuring the terminal at every draw so a resize takes effect at the next one.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::FILE* out = stderr);
  ~ProgressLine() { finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// Called by the runner after every finished request and every 100 ms while it waits.
  void update(const Progress& progress);
  /// Ends the line, leaving the last state on screen.
  void finish();
  /// A -v line: clears the bar, prints `promptbench: LINE` on a line of its own and draws
  /// the bar again below it, so log lines never land inside the bar.
  void print_line(const std::string& line);

 private:
  using Clock = std::chrono::steady_clock;
  void draw(const Progress& progress);

  bool m_enabled;
  std::FILE* m_out;
  bool m_drawn = false;  ///< the bar is on screen, the cursor at its end
  Clock::time_point m_start;
  Clock::time_point m_last_draw{};
  std::optional<Progress> m_last;
};

}  // namespace promptbench::cli
