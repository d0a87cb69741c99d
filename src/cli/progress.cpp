// SPDX-License-Identifier: Apache-2.0
// The progress line of `eval` (see progress.hpp).
#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace promptbench::cli {

namespace {

constexpr std::size_t kDefaultWidth = 80;
constexpr std::size_t kMinBar = 10;  ///< inner width below which the bar says nothing
constexpr std::size_t kMaxBar = 30;
constexpr const char* kSeparator = "  ";
constexpr std::size_t kSeparatorWidth = 2;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

/// One field of the line. Fields are shown in `order` and kept by `priority` (0 first).
struct Field {
  int order = 0;
  int priority = 0;
  std::string text;
};

std::string counted(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string bar(const Progress& progress, std::size_t inner) {
  const double fraction =
      progress.total == 0
          ? 0.0
          : std::min(1.0, static_cast<double>(progress.done) / static_cast<double>(progress.total));
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(inner));
  return "[" + std::string(filled, '#') + std::string(inner - filled, '.') + "]";
}

/// Everything but the bar, most important first by priority. The engine's state says why
/// nothing finishes: answers pending, a retry's backoff, a rate limit.
std::vector<Field> fields(const Progress& progress, double elapsed) {
  const EngineStatus& engine = progress.engine;
  std::vector<Field> out = {{1, 0, fmt::format("{}/{}", progress.done, progress.total)},
                            {2, 3, format_duration(elapsed)},
                            {7, 2, counted(progress.errors, "error", "errors")}};
  if (engine.in_flight > 0) {
    out.push_back({3, 1, fmt::format("{} in flight", engine.in_flight)});
  }
  if (engine.waiting_retry > 0) {
    out.push_back({4, 1, fmt::format("{} waiting to retry", engine.waiting_retry)});
  }
  if (engine.rate_limited) {
    out.push_back({5, 1, "rate-limited"});
  }
  if (engine.queued > 0) {
    out.push_back({6, 6, fmt::format("{} queued", engine.queued)});
  }
  const double rate = elapsed > 0 ? static_cast<double>(progress.done) / elapsed : 0;
  if (rate > 0) {
    out.push_back({8, 7, fmt::format("{:.1f} req/s", rate)});
  }
  if (rate > 0 && progress.done < progress.total) {
    const double left = static_cast<double>(progress.total - progress.done) / rate;
    out.push_back({9, 4, "ETA " + format_duration(left)});
  }
  if (progress.cache_hits > 0) {
    out.push_back({10, 8, fmt::format("{} cached", progress.cache_hits)});
  }
  if (progress.retries > 0) {
    out.push_back({11, 9, counted(progress.retries, "retry", "retries")});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Field& a, const Field& b) { return a.priority < b.priority; });
  return out;
}

}  // namespace

std::string format_duration(double seconds) {
  // Clamped so that a wild ETA (a huge total at a slow rate) still converts safely.
  const auto total = static_cast<std::uint64_t>(std::clamp(seconds, 0.0, 1e12));
  const std::uint64_t hours = total / 3600;
  const std::uint64_t minutes = total / 60 % 60;
  const std::uint64_t secs = total % 60;
  return hours > 0 ? fmt::format("{}:{:02}:{:02}", hours, minutes, secs)
                   : fmt::format("{}:{:02}", minutes, secs);
}

std::string format_progress(const Progress& progress, double elapsed_seconds, std::size_t width) {
  if (width < 2) {
    return {};
  }
  const std::size_t room = width - 1;
  // The bar counts as a field of minimum width between the ETA and the queue, then takes
  // whatever room the kept fields leave, up to kMaxBar.
  constexpr int kBarPriority = 5;
  std::vector<Field> candidates = fields(progress, elapsed_seconds);
  candidates.push_back({0, kBarPriority, std::string(kMinBar + 2, ' ')});
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Field& a, const Field& b) { return a.priority < b.priority; });
  std::vector<Field> kept;
  std::size_t used = 0;
  for (const Field& field : candidates) {
    const std::size_t needed = field.text.size() + (kept.empty() ? 0 : kSeparatorWidth);
    if (!kept.empty() && used + needed > room) {
      break;  // keep the order of importance: nothing less important after a drop
    }
    kept.push_back(field);
    used += needed;
  }
  std::sort(kept.begin(), kept.end(),
            [](const Field& a, const Field& b) { return a.order < b.order; });
  std::string line;
  for (const Field& field : kept) {
    const std::string text =
        field.order == 0
            ? bar(progress, kMinBar + std::min(kMaxBar - kMinBar, room - std::min(room, used)))
            : field.text;
    line += (line.empty() ? "" : kSeparator) + text;
  }
  // Only a first field wider than the terminal (a count in the quintillions) gets here.
  return line.substr(0, room);
}

std::size_t terminal_width(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    std::size_t value = 0;
    const char* end = columns + std::strlen(columns);
    const auto [last, error] = std::from_chars(columns, end, value);
    if (error == std::errc() && last == end && value > 0) {
      return value;
    }
  }
  return kDefaultWidth;
}

ProgressLine::ProgressLine(bool enabled, std::FILE* out)
    : m_enabled(enabled), m_out(out), m_start(Clock::now()) {}

void ProgressLine::update(const Progress& progress) {
  m_last = progress;
  if (!m_enabled) {
    return;
  }
  const bool last = progress.done == progress.total;
  if (m_drawn && !last && Clock::now() - m_last_draw < kRedrawInterval) {
    return;
  }
  draw(progress);
}

void ProgressLine::draw(const Progress& progress) {
  m_last_draw = Clock::now();
  const double elapsed = std::chrono::duration<double>(m_last_draw - m_start).count();
  // The terminal is measured at every draw, so a resize shows at the next one. `\r` goes
  // back to the start, `\x1b[K` clears what a longer previous line left behind.
  const std::string text =
      "\r" + format_progress(progress, elapsed, terminal_width(fileno(m_out))) + "\x1b[K";
  std::fwrite(text.data(), 1, text.size(), m_out);
  std::fflush(m_out);
  m_drawn = true;
}

void ProgressLine::finish() {
  if (m_drawn) {
    if (m_last) {
      draw(*m_last);  // the final state, which the redraw limit may have skipped
    }
    std::fputs("\n", m_out);
    std::fflush(m_out);
    m_drawn = false;
  }
}

void ProgressLine::print_line(const std::string& line) {
  const std::string text = (m_drawn ? "\r\x1b[K" : "") + fmt::format("promptbench: {}\n", line);
  std::fwrite(text.data(), 1, text.size(), m_out);
  m_drawn = false;
  if (m_enabled && m_last) {
    draw(*m_last);
  } else {
    std::fflush(m_out);
  }
}

}  // namespace promptbench::cli
