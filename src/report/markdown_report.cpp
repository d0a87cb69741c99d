// SPDX-License-Identifier: Apache-2.0
// Markdown (GitHub-flavoured tables) for $GITHUB_STEP_SUMMARY and PR comments: the summary
// table, the comparison table and the gates. It needs only the report's head.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/comparison.hpp"
#include "promptbench/report.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/slices.hpp"
#include "promptbench/split.hpp"
#include "report/render_support.hpp"

namespace promptbench {

namespace {

using report::Json;

std::string row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const std::string& cell : cells) {
    line += " " + cell + " |";
  }
  return line + "\n";
}

/// The header row and the alignment row: the first `left` columns left, the rest right.
std::string header(const std::vector<std::string>& names, std::size_t left) {
  std::vector<std::string> escaped;
  std::string align = "|";
  for (std::size_t c = 0; c < names.size(); ++c) {
    escaped.push_back(markdown_cell(names[c]));
    align += c < left ? ":---|" : "---:|";
  }
  return row(escaped) + align + "\n";
}

/// "0.803 (0.727–0.862)": the mean and its 95% interval.
std::string metric_cell(const Json& variant, const std::string& metric) {
  const auto metrics = variant.find("metrics");
  if (metrics == variant.end() || !metrics->is_object() || !metrics->contains(metric)) {
    return "-";
  }
  const Json& m = (*metrics)[metric];
  const auto mean = report::number_at(m, "mean");
  if (!mean || report::number_at(m, "n").value_or(0) == 0) {
    return "-";
  }
  std::string cell = report::format_number(*mean);
  const auto ci = m.find("ci95");
  if (ci != m.end() && ci->is_array() && ci->size() == 2 && (*ci)[0].is_number() &&
      (*ci)[1].is_number()) {
    cell += fmt::format(" ({}–{})", report::format_number((*ci)[0].get<double>()),
                        report::format_number((*ci)[1].get<double>()));
  }
  return cell;
}

std::string summary_table(const Json& head) {
  const std::vector<std::string> metrics = report::metric_names(head);
  std::vector<std::string> names = {"variant"};
  names.insert(names.end(), metrics.begin(), metrics.end());
  names.push_back("errors");
  names.push_back("p50 ms");
  const auto p50 = [](const Json& variant, const char* key) {
    const auto figures = variant.find(key);
    return report::format_number(figures == variant.end() ? std::nullopt
                                                          : report::number_at(*figures, "p50"));
  };
  // Time to first token only when some variant streamed.
  const bool streamed = std::any_of(head["variants"].begin(), head["variants"].end(),
                                    [](const Json& v) { return v.contains("ttft_ms"); });
  if (streamed) {
    names.push_back("ttft p50 ms");
  }
  std::string out = header(names, 1);
  for (const Json& variant : head["variants"]) {
    std::vector<std::string> cells = {markdown_cell(report::text_at(variant, "id"))};
    for (const std::string& metric : metrics) {
      cells.push_back(metric_cell(variant, metric));
    }
    cells.push_back(report::format_count(report::number_at(variant, "errors")));
    cells.push_back(p50(variant, "latency_ms"));
    if (streamed) {
      cells.push_back(p50(variant, "ttft_ms"));
    }
    out += row(cells);
  }
  return out;
}

std::string verdict_cell(const std::string& verdict) {
  if (verdict == "better") {
    return "✅ better";
  }
  if (verdict == "worse") {
    return "❌ worse";
  }
  return markdown_cell(verdict_words(verdict));
}

std::string p_value_cell(const std::optional<double>& p) {
  if (!p) {
    return "-";
  }
  return *p < 0.0001 ? "<0.0001" : fmt::format("{:.4f}", *p);
}

std::string gates_table(const Json& gates) {
  std::string out = header({"variant", "metric", "bound", "value", "result"}, 3);
  for (const Json& gate : gates) {
    std::string bound;
    if (const std::string on = report::text_at(gate, "on"); !on.empty()) {
      bound = on + " ";
    }
    if (const auto min = report::number_at(gate, "min")) {
      bound += "≥ " + report::format_number(*min);
    }
    if (const auto max = report::number_at(gate, "max")) {
      bound += std::string(bound.empty() || bound.back() == ' ' ? "" : ", ") + "≤ " +
               report::format_number(*max);
    }
    const bool ok = report::bool_at(gate, "passed", false);
    std::string metric = report::text_at(gate, "metric");
    const Json slice = gate.value("slice", Json());
    if (slice.is_object() && slice.size() == 1) {
      metric += " on " + slice_label(slice.begin().key(), report::text_of(slice.begin().value()));
    }
    const std::string not_gated = report::text_at(gate, "not_gated");
    out += row({markdown_cell(report::text_at(gate, "variant")), markdown_cell(metric),
                markdown_cell(bound), report::format_number(report::number_at(gate, "value")),
                !not_gated.empty() ? "➖ " + markdown_cell(not_gated)
                : ok               ? "✅ passed"
                                   : "❌ failed"});
  }
  return out;
}

/// Per slice value a row per variant: the value, its cases, each metric's mean (interval);
/// then the slices' comparisons and what they show that the overall ones do not.
std::string slices_section(const Json& head) {
  const Json slices = head.value("slices", Json());
  if (!slices.is_object() || !slices.contains("values")) {
    return "";
  }
  const std::vector<std::string> metrics = report::metric_names(head);
  std::vector<std::string> names = {"slice", "n", "variant"};
  names.insert(names.end(), metrics.begin(), metrics.end());
  std::string out = header(names, 3);
  Json comparisons = Json::array();
  for (const Json& slice : slices["values"]) {
    const std::string label =
        slice_label(report::text_at(slice, "field"), report::text_at(slice, "value"));
    const std::string note = report::text_at(slice, "note");
    for (const Json& variant : slice.value("variants", Json::array())) {
      std::vector<std::string> cells = {markdown_cell(label),
                                        report::format_count(report::number_at(slice, "cases")) +
                                            (note.empty() ? "" : " (" + markdown_cell(note) + ")"),
                                        markdown_cell(report::text_at(variant, "id"))};
      for (const std::string& metric : metrics) {
        cells.push_back(metric_cell(variant, metric));
      }
      out += row(cells);
    }
    for (const Json& c : slice.value("comparisons", Json::array())) {
      comparisons.push_back(c);
    }
  }
  out += "\nEach metric: mean (95% confidence interval) on the slice's cases.\n";
  if (!comparisons.empty()) {
    out += "\n" + markdown_comparison_table(comparisons);
  }
  const auto findings = slice_findings(head.value("comparisons", Json::array()), slices, false);
  for (std::size_t i = 0; i < findings.size(); ++i) {
    out += (i == 0 ? "\n" : "") + std::string("- ") + markdown_cell(findings[i]) + "\n";
  }
  return out;
}

}  // namespace

std::string markdown_cell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '|':
        out += "\\|";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') {
          ++i;
        }
        out += "<br>";
        break;
      case '\n':
        out += "<br>";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_comparison_table(const Json& comparisons) {
  if (!comparisons.is_array() || comparisons.empty()) {
    return "";
  }
  const bool sliced = std::any_of(comparisons.begin(), comparisons.end(),
                                  [](const Json& c) { return c.contains("slice"); });
  std::vector<std::string> names = {"metric", "baseline", "variant", "n",        "Δ mean",
                                    "95% CI", "test",     "p",       "p (Holm)", "verdict"};
  if (sliced) {
    names.insert(names.begin() + 3, "slice");
  }
  std::string out = header(names, sliced ? 4 : 3);
  for (const Json& c : comparisons) {
    std::string ci = "-";
    const auto ci95 = c.find("ci95");
    if (ci95 != c.end() && ci95->is_array() && ci95->size() == 2 && (*ci95)[0].is_number() &&
        (*ci95)[1].is_number()) {
      ci = fmt::format("[{}, {}]", report::format_number((*ci95)[0].get<double>()),
                       report::format_number((*ci95)[1].get<double>()));
    }
    const auto diff = report::number_at(c, "mean_diff");
    std::vector<std::string> cells(
        {markdown_cell(
             report::metric_label(report::text_at(c, "metric"), report::text_at(c, "reference"))),
         markdown_cell(report::text_at(c, "baseline")),
         markdown_cell(report::text_at(c, "variant")),
         report::format_count(report::number_at(c, "n")),
         diff ? fmt::format("{}{}", *diff > 0 ? "+" : "", report::format_number(*diff)) : "-", ci,
         markdown_cell(report::text_at(c, "test")), p_value_cell(report::number_at(c, "p_value")),
         p_value_cell(report::number_at(c, "p_adjusted")),
         verdict_cell(report::text_at(c, "verdict"))});
    if (sliced) {
      const Json slice = c.value("slice", Json::object());
      cells.insert(cells.begin() + 3,
                   slice.is_object() && slice.size() == 1
                       ? markdown_cell(slice_label(slice.begin().key(),
                                                   report::text_of(slice.begin().value())))
                       : "all");
    }
    out += row(cells);
  }
  return out;
}

void render_markdown(const ReportSource& report, std::ostream& out) {
  const Json& head = report.head();
  out << "## " << markdown_cell(report::run_name(head)) << "\n\n";
  const Json run = head.value("run", Json::object());
  const Json dataset = run.value("dataset", Json::object());
  if (const auto cases = report::number_at(dataset, "cases")) {
    out << report::format_count(*cases) << (*cases == 1 ? " case" : " cases");
    if (const auto repeat = report::number_at(run, "repeat"); repeat && *repeat > 1) {
      out << " × " << report::format_count(*repeat) << " repeats";
    }
    const std::size_t variants = head["variants"].size();
    out << " · " << variants << (variants == 1 ? " variant" : " variants") << "\n\n";
  }
  if (const std::string split =
          split_line(run.value("split", Json()), run.value("holdout", Json()));
      !split.empty()) {
    out << markdown_cell(split) << "\n\n";
  }
  if (!report::bool_at(run, "complete", true)) {
    const std::string reason = report::text_at(run, "stop_reason");
    out << "> **Incomplete run**" << (reason.empty() ? "" : " (" + markdown_cell(reason) + ")")
        << ": the numbers cover only the cases that finished.\n\n";
  }
  out << summary_table(head) << "\nEach metric: mean (95% confidence interval).\n";
  const std::string comparisons = markdown_comparison_table(head.value("comparisons", Json()));
  if (!comparisons.empty()) {
    out << "\n### Comparisons\n\n" << comparisons;
  }
  if (const std::string slices = slices_section(head); !slices.empty()) {
    out << "\n### Slices\n\n" << slices;
  }
  const Json gates = head.value("gates", Json::array());
  if (!gates.empty()) {
    out << "\n### Gates\n\n" << gates_table(gates);
  }
}

}  // namespace promptbench
