// SPDX-License-Identifier: Apache-2.0
// JUnit XML (the shape Jenkins, GitLab and the GitHub test reporters read): a <testsuite>
// per variant with a <testcase> per case, and a "gates" suite with a <testcase> per gate.
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/report_formats.hpp"
#include "promptbench/slices.hpp"
#include "report/render_support.hpp"
#include "util/utf8.hpp"

namespace promptbench {

namespace {

using report::Json;

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t kMessageBytes = 240;            // of each text in a message attribute

/// Length of the valid UTF-8 sequence at text[i] and its code point; 0 when invalid.
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& code) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  if (lead < 0x80) {
    code = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0) != 0x80) {
      return 0;
    }
    code = (code << 6) | (byte(k) & 0x3F);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return overlong || surrogate || code > 0x10FFFF ? 0 : length;
}

/// At most `max_bytes` of `text`, cut at a character boundary, "…" marking a cut.
std::string truncate(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  return std::string(util::utf8_prefix(text, max_bytes)) + "\xE2\x80\xA6";
}

std::string attr(std::string_view text) {
  return xml_escape(text, true);
}
std::string body(std::string_view text) {
  return xml_escape(text, false);
}

std::string seconds(double milliseconds) {
  return fmt::format("{:.3f}", milliseconds / 1000);
}

struct SuiteCounts {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  double time_ms = 0;
};

struct Outcome {
  bool errored = false;
  std::vector<std::string> failed;
};

Outcome outcome_of(const Json& result) {
  return {!report::error_text(result).empty(), report::failed_metrics(result)};
}

/// expected, actual, extracted and scores: the body of a <failure> or <error>.
std::string details(const Json& report_case, const Json& result) {
  std::string text =
      fmt::format("expected: {}\nactual: {}\nextracted: {}\nscores: {}",
                  report::text_at(report_case, "reference"), report::text_at(result, "output"),
                  report::text_at(result, "extracted"), report::scores_text(result));
  if (const std::string error = report::error_text(result); !error.empty()) {
    text += "\nerror: " + error;
  }
  if (const auto failed = result.find("score_errors"); failed != result.end()) {
    for (const auto& [metric, message] : failed->items()) {
      text += fmt::format("\nscore error: {}: {}", metric, report::text_of(message));
    }
  }
  return text;
}

/// `repeats`: the run took several samples per case; each is a testcase "ID [repeat R]".
void write_testcase(std::ostream& out, const Json& report_case, const Json& result,
                    const std::string& variant, bool repeats) {
  std::string name = report::case_id(report_case);
  if (const auto repeat = report::number_at(result, "repeat"); repeat && repeats) {
    name += fmt::format(" [repeat {}]", *repeat);
  }
  const auto latency = report::number_at(result, "latency_ms");
  out << "    <testcase name=\"" << attr(name) << "\" classname=\"" << attr(variant) << "\" time=\""
      << seconds(latency.value_or(0)) << "\"";
  const Outcome outcome = outcome_of(result);
  if (!outcome.errored && outcome.failed.empty()) {
    out << "/>\n";
    return;
  }
  out << ">\n";
  const std::string expected = truncate(report::text_at(report_case, "reference"), kMessageBytes);
  const std::string actual = truncate(report::text_at(result, "output"), kMessageBytes);
  if (outcome.errored) {
    const Json& error = result["error"];
    const std::string message =
        fmt::format("{}; expected: {}", report::error_text(result), expected);
    out << "      <error message=\"" << attr(truncate(message, 2 * kMessageBytes)) << "\" type=\""
        << attr(report::text_at(error, "kind")) << "\">" << body(details(report_case, result))
        << "</error>\n";
  } else {
    const std::string message =
        fmt::format("failed {}: expected: {}; actual: {}; scores: {}",
                    fmt::join(outcome.failed, ", "), expected, actual, report::scores_text(result));
    out << "      <failure message=\"" << attr(message) << "\" type=\"metric\">"
        << body(details(report_case, result)) << "</failure>\n";
  }
  out << "    </testcase>\n";
}

void write_suite_open(std::ostream& out, const std::string& name, const SuiteCounts& counts) {
  out << "  <testsuite name=\"" << attr(name) << "\" tests=\"" << counts.tests << "\" failures=\""
      << counts.failures << "\" errors=\"" << counts.errors << "\" skipped=\"0\" time=\""
      << seconds(counts.time_ms) << "\">\n";
}

void write_properties(std::ostream& out, const Json& variant) {
  out << "    <properties>\n";
  for (const char* key : {"prompt", "provider", "model"}) {
    out << "      <property name=\"" << key << "\" value=\"" << attr(report::text_at(variant, key))
        << "\"/>\n";
  }
  out << "    </properties>\n";
}

std::string gate_name(const Json& gate) {
  std::string name = report::text_at(gate, "variant") + " " + report::text_at(gate, "metric");
  if (const Json slice = gate.value("slice", Json()); slice.is_object() && slice.size() == 1) {
    name += " on " + slice_label(slice.begin().key(), report::text_of(slice.begin().value()));
  }
  if (const std::string on = report::text_at(gate, "on"); !on.empty()) {
    name += " (" + on + ")";
  }
  if (const auto min = report::number_at(gate, "min")) {
    name += " >= " + report::format_number(*min);
  }
  if (const auto max = report::number_at(gate, "max")) {
    name += " <= " + report::format_number(*max);
  }
  return name;
}

std::string gate_failure(const Json& gate) {
  const auto value = report::number_at(gate, "value");
  if (!value) {
    return "no score for " + report::text_at(gate, "metric");
  }
  std::string message = "value " + report::format_number(*value);
  const auto min = report::number_at(gate, "min");
  const auto max = report::number_at(gate, "max");
  if (min && *value < *min) {
    message += fmt::format(", below the minimum {} by {}", report::format_number(*min),
                           report::format_number(*min - *value));
  } else if (max && *value > *max) {
    message += fmt::format(", above the maximum {} by {}", report::format_number(*max),
                           report::format_number(*value - *max));
  }
  return message;
}

bool gate_passed(const Json& gate) {
  return report::bool_at(gate, "passed", false);
}

}  // namespace

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t code = 0;
    const std::size_t length = decode_utf8(text, i, code);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    const bool allowed = code == 0x9 || code == 0xA || code == 0xD ||
                         (code >= 0x20 && code != 0xFFFE && code != 0xFFFF);
    if (!allowed) {
      out += kReplacement;
    } else if (code == '&') {
      out += "&amp;";
    } else if (code == '<') {
      out += "&lt;";
    } else if (code == '>') {
      out += "&gt;";  // always, so "]]>" never appears in text
    } else if (attribute && code == '"') {
      out += "&quot;";
    } else if (attribute && code == '\'') {
      out += "&apos;";
    } else if (attribute && (code == 0x9 || code == 0xA || code == 0xD)) {
      out += fmt::format("&#{};", static_cast<unsigned>(code));  // kept, not normalized away
    } else if (code == 0xD) {
      out += "&#13;";  // a raw CR in text would be folded into LF by the parser
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

/// Why the run itself failed, one message per problem: stopped early, or more failed
/// requests, judge or scorer calls than it tolerates. A CI system then shows the run as
/// broken even when every case that did run passed.
using Problem = std::pair<std::string, std::string>;  ///< the testcase's name, the message

std::vector<Problem> run_problems(const Json& run) {
  std::vector<Problem> problems;
  if (!report::bool_at(run, "complete", true)) {
    const std::string reason = report::text_at(run, "stop_reason");
    problems.emplace_back(
        "complete",
        fmt::format("incomplete run{}: {} of {} cases evaluated",
                    reason.empty() ? "" : " (" + reason + ")",
                    report::number_at(run, "cases_evaluated").value_or(0),
                    report::number_at(run.value("dataset", Json::object()), "cases").value_or(0)));
  }
  const Json errors = run.value("errors", Json::object());
  const double failed = report::number_at(errors, "failed").value_or(0);
  const double allowed = report::number_at(errors, "allowed").value_or(0);
  if (failed > allowed) {
    std::string first;
    for (const char* work : {"requests", "judges", "scorers"}) {
      const Json tally = errors.value(work, Json::object());
      const Json error = tally.value("first", Json());
      if (first.empty() && error.is_object()) {
        first = fmt::format("; first: case {}, variant {}: {}: {}", report::text_at(error, "case"),
                            report::text_at(error, "variant"), report::text_at(error, "kind"),
                            report::text_at(error, "message"));
      }
    }
    problems.emplace_back(
        "errors within the allowance",
        fmt::format("{:g} failed request{} (judge and scorer calls included), {:g} allowed{}",
                    failed, failed == 1 ? "" : "s", allowed, first));
  }
  return problems;
}

void write_run_suite(std::ostream& out, const std::vector<Problem>& problems) {
  SuiteCounts counts;
  counts.tests = problems.size();
  counts.errors = problems.size();
  write_suite_open(out, "run", counts);
  for (const auto& [name, problem] : problems) {
    out << "    <testcase name=\"" << attr(name)
        << "\" classname=\"run\" time=\"0\">\n      <error message=\"" << attr(problem)
        << "\" type=\"run\">" << body(problem) << "</error>\n    </testcase>\n";
  }
  out << "  </testsuite>\n";
}

/// One pass over the cases for the counts, then one per variant for its suite: the
/// <testsuite> attributes come before its testcases, and holding every case in memory is
/// what streaming avoids.
void render_junit(const ReportSource& report, std::ostream& out) {
  const Json& head = report.head();
  const auto repeat = report::number_at(head.value("run", Json::object()), "repeat");
  const bool repeats = repeat && *repeat > 1;
  std::vector<std::string> variants;
  std::map<std::string, const Json*> variant_info;
  for (const Json& variant : head["variants"]) {
    variants.push_back(variant["id"].get<std::string>());
    variant_info[variants.back()] = &variant;
  }
  std::map<std::string, SuiteCounts> counts;
  report.for_each_case([&](const Json& report_case) {
    for (const Json& result : report_case["results"]) {
      const std::string variant = result["variant"].get<std::string>();
      if (counts.find(variant) == counts.end() && variant_info.count(variant) == 0) {
        variants.push_back(variant);  // a result of a variant the head does not list
        variant_info[variant] = nullptr;
      }
      SuiteCounts& c = counts[variant];
      const Outcome outcome = outcome_of(result);
      ++c.tests;
      c.errors += outcome.errored ? 1 : 0;
      c.failures += !outcome.errored && !outcome.failed.empty() ? 1 : 0;
      c.time_ms += report::number_at(result, "latency_ms").value_or(0);
    }
  });
  const Json gates = head.value("gates", Json::array());
  SuiteCounts gate_counts;
  for (const Json& gate : gates) {
    ++gate_counts.tests;
    gate_counts.failures += gate_passed(gate) ? 0 : 1;
  }
  const std::vector<Problem> problems = run_problems(head.value("run", Json::object()));
  SuiteCounts total = gate_counts;
  total.tests += problems.size();
  total.errors += problems.size();
  for (const auto& [variant, c] : counts) {
    total.tests += c.tests;
    total.failures += c.failures;
    total.errors += c.errors;
    total.time_ms += c.time_ms;
  }

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << attr(report::run_name(head)) << "\" tests=\"" << total.tests
      << "\" failures=\"" << total.failures << "\" errors=\"" << total.errors << "\" time=\""
      << seconds(total.time_ms) << "\">\n";
  if (!problems.empty()) {
    write_run_suite(out, problems);
  }
  for (const std::string& variant : variants) {
    write_suite_open(out, variant, counts[variant]);
    if (const Json* info = variant_info[variant]) {
      write_properties(out, *info);
    }
    report.for_each_case([&](const Json& report_case) {
      for (const Json& result : report_case["results"]) {
        if (result["variant"].get_ref<const std::string&>() == variant) {
          write_testcase(out, report_case, result, variant, repeats);
        }
      }
    });
    out << "  </testsuite>\n";
  }
  if (!gates.empty()) {
    write_suite_open(out, "gates", gate_counts);
    for (const Json& gate : gates) {
      out << "    <testcase name=\"" << attr(gate_name(gate))
          << "\" classname=\"gates\" time=\"0\"";
      if (gate_passed(gate)) {
        out << "/>\n";
        continue;
      }
      const std::string message = gate_failure(gate);
      out << ">\n      <failure message=\"" << attr(message) << "\" type=\"gate\">"
          << body(gate_name(gate) + ": " + message) << "</failure>\n    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace promptbench
