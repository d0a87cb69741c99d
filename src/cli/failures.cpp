// SPDX-License-Identifier: Apache-2.0
#include "cli/failures.hpp"

#include <algorithm>
#include <map>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "promptbench/redact.hpp"
#include "util/utf8.hpp"

namespace promptbench::cli {

namespace {

using Json = nlohmann::ordered_json;

bool failed(const CaseResult& result) {
  return result.error ||
         std::any_of(result.metrics.begin(), result.metrics.end(), [](const MetricOutcome& m) {
           return m.error.has_value() || (m.pass && !*m.pass);
         });
}

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string scores_text(const CaseResult& result) {
  std::vector<std::string> parts;
  for (const MetricOutcome& m : result.metrics) {
    if (m.score) {
      parts.push_back(
          fmt::format("{}={:.4g}{}", m.name, *m.score, m.pass && !*m.pass ? " (fail)" : ""));
    } else if (m.error) {
      parts.push_back(fmt::format("{}: {}", m.name, one_line_excerpt(*m.error, 60)));
    }
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string reference_text(const nlohmann::json& reference) {
  return one_line_excerpt(
      reference.is_string()
          ? reference.get<std::string>()
          : reference.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      60);
}

/// One failed result, as lines.
std::string describe(const CaseRecord& record, const CaseResult& result, std::size_t repeats) {
  std::string text = fmt::format("  {}{}  reference: {}\n", record.id,
                                 repeats > 1 ? fmt::format(" (repeat {})", result.repeat) : "",
                                 reference_text(record.reference));
  if (result.output) {
    text += fmt::format("    output: {}\n", one_line_excerpt(*result.output));
  }
  if (const std::string scores = scores_text(result); !scores.empty()) {
    text += fmt::format("    scores: {}\n", scores);
  }
  if (result.error) {
    text += fmt::format("    error: {}{}: {}\n", result.error->kind,
                        result.error->status != 0 ? fmt::format(" {}", result.error->status) : "",
                        one_line_excerpt(result.error->message));
  }
  return text;
}

struct VariantFailures {
  std::vector<std::string> shown;
  std::size_t total = 0;
};

}  // namespace

std::string one_line_excerpt(std::string_view text, std::size_t max_chars) {
  const std::string flat = escaped(text);
  if (flat.size() <= max_chars) {
    return flat;
  }
  return std::string(util::utf8_prefix(flat, max_chars)) + "...";
}

void print_failures(std::ostream& out, const ReportSource& report, std::size_t per_variant) {
  std::vector<std::string> order;
  for (const Json& variant : report.head().at("variants")) {
    order.push_back(variant.at("id").get<std::string>());
  }
  const Json& run = report.head().at("run");
  const std::size_t repeats = run.contains("repeat") && run["repeat"].is_number_unsigned()
                                  ? run["repeat"].get<std::size_t>()
                                  : 1;
  std::map<std::string, VariantFailures> failures;
  report.for_each_record([&](CaseRecord&& record) {
    for (const CaseResult& result : record.results) {
      if (!failed(result)) {
        continue;
      }
      VariantFailures& variant = failures[result.variant];
      if (++variant.total <= per_variant) {
        variant.shown.push_back(describe(record, result, repeats));
      }
    }
  });
  for (const std::string& id : order) {
    const auto it = failures.find(id);
    if (it == failures.end()) {
      continue;
    }
    const VariantFailures& variant = it->second;
    out << redact(fmt::format("\nfailures of {} ({} result{}{}):\n", id, variant.total,
                              variant.total == 1 ? "" : "s",
                              variant.total > variant.shown.size()
                                  ? fmt::format(", the first {} shown", variant.shown.size())
                                  : ""));
    for (const std::string& text : variant.shown) {
      out << redact(text);
    }
  }
}

}  // namespace promptbench::cli
