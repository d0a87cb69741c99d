// SPDX-License-Identifier: Apache-2.0
// Slices for people (README "Slices"): `eval --slices` tables, and the lines that name a
// difference one slice shows and the whole does not.
#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/comparison.hpp"
#include "promptbench/report.hpp"
#include "promptbench/slices.hpp"
#include "util/text.hpp"

namespace promptbench {

// Names of their own: a unity batch may compile summary_table.cpp, which has its own
// kSliceBold, slice_p_text and slice_metric_cell, into the same anonymous namespace.
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSliceBold = "\x1b[1m";
constexpr const char* kSliceGreen = "\x1b[32m";
constexpr const char* kSliceRed = "\x1b[31m";
constexpr const char* kSliceReset = "\x1b[0m";

double slice_number(const Json& value) {
  return value.is_number() ? value.get<double>() : std::nan("");
}

std::string slice_fixed(double value, int decimals, bool sign) {
  if (!std::isfinite(value)) {
    return "-";
  }
  return sign ? fmt::format("{:+.{}f}", value, decimals) : fmt::format("{:.{}f}", value, decimals);
}

/// "0.803 [0.735, 0.871]", as the summary table writes a metric.
std::string slice_metric_cell(const Json& metric) {
  if (!metric.is_object() || metric.value("n", 0) == 0) {
    return "-";
  }
  const double mean = slice_number(metric["mean"]);
  const Json& ci = metric.value("ci95", Json());
  const double low = ci.is_array() && ci.size() == 2 ? slice_number(ci[0]) : std::nan("");
  const double high = ci.is_array() && ci.size() == 2 ? slice_number(ci[1]) : std::nan("");
  const int decimals = std::max({std::fabs(mean), std::fabs(low), std::fabs(high)}) <= 1 ? 3 : 1;
  if (!std::isfinite(low) || !std::isfinite(high) || metric.value("n", 0) < 2) {
    return slice_fixed(mean, decimals, false);
  }
  return fmt::format("{} [{}, {}]", slice_fixed(mean, decimals, false),
                     slice_fixed(low, decimals, false), slice_fixed(high, decimals, false));
}

std::string slice_p_text(double p) {
  if (!std::isfinite(p)) {
    return "-";
  }
  return p < 0.0001 ? "p<0.0001" : fmt::format("p={:.4f}", p);
}

void print_slice_rows(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                      const std::string& indent) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::display_width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : util::pad_right(row[i], widths[i] + 2);
    }
    out << line << '\n';
  }
}

std::string slice_difference_text(const Json& c) {
  const Json& ci = c.value("ci95", Json());
  const double diff = slice_number(c["mean_diff"]);
  if (!std::isfinite(diff)) {
    return "no paired cases";
  }
  const double low = ci.is_array() && ci.size() == 2 ? slice_number(ci[0]) : std::nan("");
  const double high = ci.is_array() && ci.size() == 2 ? slice_number(ci[1]) : std::nan("");
  return fmt::format("{} [{}, {}]", slice_fixed(diff, 3, true), slice_fixed(low, 3, true),
                     slice_fixed(high, 3, true));
}

}  // namespace

void print_slice_tables(std::ostream& out, const ReportSummary& summary, bool color) {
  const Json& slices = summary.slices;
  if (!slices.is_object() || !slices.contains("values")) {
    return;
  }
  std::size_t family = summary.comparisons.is_array() ? summary.comparisons.size() : 0;
  for (const Json& slice : slices["values"]) {
    family += slice.value("comparisons", Json::array()).size();
  }
  out << (color ? kSliceBold : "")
      << fmt::format("slices (mean [95% CI]; comparisons paired, Holm-adjusted across all {}):",
                     family)
      << (color ? kSliceReset : "") << '\n';
  for (const Json& slice : slices["values"]) {
    const std::string label = slice_label(slice.value("field", ""), slice.value("value", ""));
    const std::string note = slice.value("note", "");
    out << fmt::format("  {}  n={}{}\n", label, slice.value("cases", 0),
                       note.empty() ? "" : "  (" + note + ")");
    std::vector<std::string> metrics;
    const Json& variants = slice.value("variants", Json::array());
    if (!variants.empty()) {
      const Json first = variants[0].value("metrics", Json::object());  // items() needs it alive
      for (const auto& item : first.items()) {
        metrics.push_back(item.key());
      }
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"variant"};
    header.insert(header.end(), metrics.begin(), metrics.end());
    rows.push_back(header);
    for (const Json& variant : variants) {
      std::vector<std::string> row = {variant.value("id", "")};
      const Json& figures = variant.value("metrics", Json::object());
      for (const std::string& metric : metrics) {
        row.push_back(slice_metric_cell(figures.value(metric, Json())));
      }
      rows.push_back(std::move(row));
    }
    print_slice_rows(out, rows, "    ");
    for (const Json& c : slice.value("comparisons", Json::array())) {
      const std::string verdict = c.value("verdict", "");
      const char* tint = verdict == "better" ? kSliceGreen : verdict == "worse" ? kSliceRed : "";
      const bool tinted = color && *tint != '\0';
      out << fmt::format("    {} vs {}  {}  {}  {}  ", c.value("variant", ""),
                         c.value("baseline", ""), c.value("metric", ""), slice_difference_text(c),
                         slice_p_text(slice_number(c["p_adjusted"])))
          << (tinted ? tint : "") << verdict_words(verdict) << (tinted ? kSliceReset : "") << '\n';
    }
  }
  for (const std::string& line : slice_findings(summary.comparisons, slices, false)) {
    out << line << '\n';
  }
}

std::vector<std::string> slice_findings(const nlohmann::ordered_json& comparisons,
                                        const nlohmann::ordered_json& slices, bool worse_only) {
  std::vector<std::string> lines;
  if (!slices.is_object() || !slices.contains("values")) {
    return lines;
  }
  const auto overall_verdict = [&](const Json& c) -> std::string {
    for (const Json& whole : comparisons) {
      if (whole.value("variant", "") == c.value("variant", "") &&
          whole.value("baseline", "") == c.value("baseline", "") &&
          whole.value("metric", "") == c.value("metric", "")) {
        return whole.value("verdict", "");
      }
    }
    return "";
  };
  for (const Json& slice : slices["values"]) {
    for (const Json& c : slice.value("comparisons", Json::array())) {
      const std::string verdict = c.value("verdict", "");
      const std::string overall = overall_verdict(c);
      if ((verdict != "worse" && verdict != "better") || verdict == overall ||
          (worse_only && verdict != "worse")) {
        continue;
      }
      const std::string note = slice.value("note", "");
      lines.push_back(fmt::format("{} {}: {} on {} ({}, {} Holm-adjusted, n={}); overall: {}{}",
                                  c.value("variant", ""), c.value("metric", ""), verdict,
                                  slice_label(slice.value("field", ""), slice.value("value", "")),
                                  slice_fixed(slice_number(c["mean_diff"]), 3, true),
                                  slice_p_text(slice_number(c["p_adjusted"])), c.value("n", 0),
                                  overall.empty() ? "-" : verdict_words(overall),
                                  note.empty() ? "" : " (" + note + ")"));
    }
  }
  return lines;
}

}  // namespace promptbench
