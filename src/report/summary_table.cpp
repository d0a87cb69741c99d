// SPDX-License-Identifier: Apache-2.0
// The terminal summary: one row per variant, one column per metric (the mean and its 95%
// interval), then errors and median latency. The best mean of each metric is highlighted.
#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/comparison.hpp"
#include "promptbench/report.hpp"
#include "promptbench/slices.hpp"
#include "promptbench/split.hpp"
#include "util/text.hpp"

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

/// "0.803 [0.735, 0.871]": the mean and its interval as they are. A "± half-width" would
/// misstate the asymmetric intervals near 0 and 1 (Wilson: 1.000 [0.886, 1.000]). The three
/// numbers share their decimals, chosen by the largest, so a column reads evenly.
std::string metric_cell(const MetricSummary& m) {
  if (m.n == 0) {
    return "-";
  }
  if (m.n < 2 || !std::isfinite(m.mean) || !std::isfinite(m.ci_low) || !std::isfinite(m.ci_high)) {
    return format_value(m.mean);
  }
  const double largest = std::max({std::fabs(m.mean), std::fabs(m.ci_low), std::fabs(m.ci_high)});
  const int decimals = largest <= 1.0 ? 3 : 1;
  return fmt::format("{:.{}f} [{:.{}f}, {:.{}f}]", m.mean, decimals, m.ci_low, decimals, m.ci_high,
                     decimals);
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

/// A number in a message: four significant digits, no exponent for everyday magnitudes.
std::string number(double value) {
  return fmt::format("{:.4g}", value);
}

/// A difference and its interval, all three with the same number of decimals.
std::string difference_cell(double diff, double low, double high) {
  const double largest = std::max({std::fabs(diff), std::fabs(low), std::fabs(high)});
  const int decimals = !std::isfinite(largest) || largest <= 1 ? 3 : largest < 100 ? 2 : 1;
  const auto text = [&](double v) {
    return std::isfinite(v) ? fmt::format("{:+.{}f}", v, decimals) : std::string("-");
  };
  return fmt::format("{} [{}, {}]", text(diff), text(low), text(high));
}

std::string p_text(double p) {
  if (!std::isfinite(p)) {
    return "-";
  }
  return p < 0.0001 ? "p<0.0001" : fmt::format("p={:.4f}", p);
}

/// One compact line per comparison with the baseline: the variant, the metric, the mean
/// difference with its paired 95% interval, the Holm-adjusted p-value and the verdict.
void print_comparisons(std::ostream& out, const ReportSummary& summary, bool color) {
  if (!summary.comparisons.is_array() || summary.comparisons.empty()) {
    return;
  }
  const std::string baseline = summary.comparisons.front().value("baseline", "");
  out << (color ? kBold : "")
      << fmt::format("vs baseline {} (variant - baseline, paired 95% CI, Holm-adjusted p):",
                     baseline)
      << (color ? kReset : "") << '\n';
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> verdicts;
  for (const auto& c : summary.comparisons) {
    const auto number_at = [](const nlohmann::ordered_json& j) {
      return j.is_number() ? j.get<double>() : std::nan("");
    };
    const double diff = number_at(c["mean_diff"]);
    const double low = number_at(c["ci95"][0]);
    const double high = number_at(c["ci95"][1]);
    const std::string verdict = verdict_words(c.value("verdict", ""));
    rows.push_back({c.value("variant", ""), c.value("metric", ""),
                    std::isfinite(diff) ? difference_cell(diff, low, high) : "no paired cases",
                    p_text(number_at(c["p_adjusted"]))});
    verdicts.push_back(verdict);
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::display_width(row[i]));
    }
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line = "  ";
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      line += util::pad_right(rows[r][i], widths[i] + 2);
    }
    const char* tint = verdicts[r] == "better" ? kGreen : verdicts[r] == "worse" ? kRed : "";
    const bool tinted = color && *tint != '\0';
    out << line << (tinted ? tint : "") << verdicts[r] << (tinted ? kReset : "") << '\n';
  }
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
  // Time to first token only when some variant streamed: otherwise a column of dashes.
  const bool streamed = std::any_of(summary.variants.begin(), summary.variants.end(),
                                    [](const VariantSummary& v) { return v.ttft_p50.has_value(); });
  if (streamed) {
    header.push_back("ttft p50");
  }
  const auto milliseconds = [](std::optional<double> value) {
    return value ? fmt::format("{:.1f}", *value) : std::string("-");
  };

  std::vector<std::vector<std::string>> rows;
  for (const auto& variant : summary.variants) {
    std::vector<std::string> row = {variant.id};
    for (const auto& m : variant.metrics) {
      row.push_back(metric_cell(m));
    }
    row.push_back(std::to_string(variant.errors));
    row.push_back(milliseconds(variant.latency_p50));
    if (streamed) {
      row.push_back(milliseconds(variant.ttft_p50));
    }
    rows.push_back(std::move(row));
  }

  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = util::display_width(header[c]);
    for (const auto& row : rows) {
      widths[c] = std::max(widths[c], util::display_width(row[c]));
    }
  }

  std::string line;
  for (std::size_t c = 0; c < header.size(); ++c) {
    line += util::pad_right(header[c], widths[c] + 2);
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  out << (color ? kBold : "") << line << (color ? kReset : "") << '\n';

  for (std::size_t r = 0; r < rows.size(); ++r) {
    line.clear();
    for (std::size_t c = 0; c < header.size(); ++c) {
      std::string cell = util::pad_right(rows[r][c], widths[c] + 2);
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

  print_comparisons(out, summary, color);
  if (const std::string split = split_line(summary.run.split, summary.run.holdout);
      !split.empty()) {
    out << split << '\n';
  }
  if (!summary.gates.empty() && !summary.run.shard.whole()) {
    // One shard's figures are no verdict: the merge holds the gates against all the cases.
    out << fmt::format("gates: {} to apply when the shards are merged\n", summary.gates.size());
  } else if (!summary.gates.empty()) {
    const auto failed = static_cast<std::size_t>(std::count_if(
        summary.gates.begin(), summary.gates.end(), [](const GateResult& g) { return !g.passed; }));
    const bool tinted = color && failed > 0;
    out << (tinted ? kRed : "")
        << (failed == 0 ? fmt::format("gates: all {} passed", summary.gates.size())
                        : fmt::format("gates: {} of {} failed", failed, summary.gates.size()))
        << (tinted ? kReset : "") << '\n';
  }
}

std::string describe_gate_failure(const GateResult& gate) {
  const std::string bounds =
      gate.min && gate.max ? fmt::format("min {}, max {}", number(*gate.min), number(*gate.max))
      : gate.min           ? fmt::format("min {}", number(*gate.min))
                           : fmt::format("max {}", number(gate.max.value_or(0)));
  const std::string subject =
      gate.variant + " " + gate.metric +
      (gate.slice_field.empty() ? "" : " on " + slice_label(gate.slice_field, gate.slice_value));
  if (gate.missing_slice) {
    return fmt::format("{}: no case has {}={} ({})", subject, gate.slice_field, gate.slice_value,
                       bounds);
  }
  if (!gate.value) {
    return fmt::format("{}: no score ({})", subject, bounds);
  }
  const bool on_interval = gate.on == "ci_low";
  const double low = on_interval ? gate.ci_low.value_or(*gate.value) : *gate.value;
  const double high = on_interval ? gate.ci_high.value_or(*gate.value) : *gate.value;
  const std::string mean = on_interval ? fmt::format("; mean {}", number(*gate.value)) : "";
  std::string reason;
  if (gate.min && !(low >= *gate.min)) {
    reason = fmt::format("{} {} < min {} (short by {}{})", on_interval ? "ci_low" : "mean",
                         number(low), number(*gate.min), number(*gate.min - low), mean);
  } else if (gate.max && !(high <= *gate.max)) {
    reason = fmt::format("{} {} > max {} (over by {}{})", on_interval ? "ci_high" : "mean",
                         number(high), number(*gate.max), number(high - *gate.max), mean);
  }
  if (gate.unscored > gate.max_unscored) {
    // The figure above covers only the results that were scored; say how many were not.
    const std::string unscored =
        fmt::format("{} result{} unscored (max_unscored {})", gate.unscored,
                    gate.unscored == 1 ? "" : "s", gate.max_unscored);
    reason = reason.empty()
                 ? fmt::format("{}; {} {} ({}) covers only the scored ones", unscored,
                               on_interval ? "ci95" : "mean",
                               on_interval ? fmt::format("[{}, {}]", number(low), number(high))
                                           : number(*gate.value),
                               bounds)
                 : reason + "; " + unscored;
  }
  return reason.empty() ? fmt::format("{}: passed ({})", subject, bounds)
                        : fmt::format("{}: {}", subject, reason);
}

}  // namespace promptbench
