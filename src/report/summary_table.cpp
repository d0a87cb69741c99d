// SPDX-License-Identifier: Apache-2.0
// The terminal summary: one row per variant, one column per metric (mean ± half the 95%
// interval), then errors and median latency. The best mean of each metric is highlighted.
#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/report.hpp"

namespace promptbench {

namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kReset = "\x1b[0m";

std::string format_value(double value) {
  if (!std::isfinite(value)) {
    return "-";
  }
  return std::fabs(value) <= 1.0 ? fmt::format("{:.3f}", value) : fmt::format("{:.1f}", value);
}

std::string metric_cell(const MetricSummary& m) {
  if (m.n == 0) {
    return "-";
  }
  const double half = (m.ci_high - m.ci_low) / 2;
  if (m.n < 2 || !std::isfinite(half)) {
    return format_value(m.mean);
  }
  return format_value(m.mean) + " ±" + format_value(half);
}

/// Index of the variant with the best mean for metric `name`, if there is a contest.
std::optional<std::size_t> best_variant(const ReportSummary& summary, const std::string& name) {
  std::optional<std::size_t> best;
  double best_value = 0;
  bool higher = true;
  for (std::size_t v = 0; v < summary.variants.size(); ++v) {
    for (const auto& m : summary.variants[v].metrics) {
      if (m.name != name || m.n == 0) {
        continue;
      }
      higher = m.higher_is_better;
      if (!best || (higher ? m.mean > best_value : m.mean < best_value)) {
        best = v;
        best_value = m.mean;
      }
    }
  }
  return summary.variants.size() > 1 ? best : std::nullopt;
}

/// Width on a terminal: code points, not bytes ("±" is two bytes, one column).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t shown = display_width(text);
  return shown >= width ? text : text + std::string(width - shown, ' ');
}

}  // namespace

void print_summary_table(std::ostream& out, const ReportSummary& summary, bool color) {
  std::vector<std::string> metric_names;
  if (!summary.variants.empty()) {
    for (const auto& m : summary.variants.front().metrics) {
      metric_names.push_back(m.name);
    }
  }
  std::vector<std::string> header = {"variant"};
  header.insert(header.end(), metric_names.begin(), metric_names.end());
  header.push_back("errors");
  header.push_back("p50 ms");

  std::vector<std::vector<std::string>> rows;
  for (const auto& variant : summary.variants) {
    std::vector<std::string> row = {variant.id};
    for (const auto& m : variant.metrics) {
      row.push_back(metric_cell(m));
    }
    row.push_back(std::to_string(variant.errors));
    row.push_back(variant.latency_p50 ? fmt::format("{:.1f}", *variant.latency_p50) : "-");
    rows.push_back(std::move(row));
  }

  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = display_width(header[c]);
    for (const auto& row : rows) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }

  std::string line;
  for (std::size_t c = 0; c < header.size(); ++c) {
    line += pad(header[c], widths[c] + 2);
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  out << (color ? kBold : "") << line << (color ? kReset : "") << '\n';

  for (std::size_t r = 0; r < rows.size(); ++r) {
    line.clear();
    for (std::size_t c = 0; c < header.size(); ++c) {
      std::string cell = pad(rows[r][c], widths[c] + 2);
      const bool is_metric = c >= 1 && c <= metric_names.size();
      const bool is_errors = c == metric_names.size() + 1;
      if (color && is_metric && best_variant(summary, metric_names[c - 1]) == r) {
        cell = kGreen + rows[r][c] + kReset + std::string(cell.size() - rows[r][c].size(), ' ');
      } else if (color && is_errors && summary.variants[r].errors > 0) {
        cell = kRed + rows[r][c] + kReset + std::string(cell.size() - rows[r][c].size(), ' ');
      }
      line += cell;
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out << line << '\n';
  }

  for (const auto& gate : summary.gates) {
    if (!gate.passed) {
      out << (color ? kRed : "")
          << fmt::format("gate failed: {} {} {} (got {})", gate.variant, gate.metric,
                         gate.min ? fmt::format(">= {}", *gate.min)
                                  : fmt::format("<= {}", gate.max.value_or(0)),
                         gate.value ? format_value(*gate.value) : "no score")
          << (color ? kReset : "") << '\n';
    }
  }
}

}  // namespace promptbench
