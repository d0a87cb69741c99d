// SPDX-License-Identifier: Apache-2.0
// CSV (RFC 4180): a row per case and variant, for spreadsheets and pandas. Numbers keep
// full precision (the JSON report's shortest round-trip form).
#include <ostream>

#include "promptbench/report_formats.hpp"
#include "report/render_support.hpp"

namespace promptbench {

namespace {

using report::Json;

constexpr const char* kLineEnd = "\r\n";
const Json kNoScores = Json::object();

void write_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out << (i == 0 ? "" : ",") << csv_field(fields[i]);
  }
  out << kLineEnd;
}

/// A number as the JSON report has it; "" for null or absent.
std::string number_field(const Json& object, const char* key) {
  if (!object.is_object()) {
    return "";
  }
  const auto it = object.find(key);
  return it == object.end() || !it->is_number() ? "" : it->dump();
}

}  // namespace

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (const char c : text) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

void render_csv(const ReportSource& report, std::ostream& out) {
  const Json& head = report.head();
  const std::vector<std::string> metrics = report::metric_names(head);
  const auto repeat = report::number_at(head.value("run", Json::object()), "repeat");
  const bool repeats = repeat && *repeat > 1;

  std::vector<std::string> header = {"case_id", "variant"};
  if (repeats) {
    header.emplace_back("repeat");
  }
  for (const char* name : {"reference", "output", "extracted"}) {
    header.emplace_back(name);
  }
  header.insert(header.end(), metrics.begin(), metrics.end());
  for (const char* name : {"latency_ms", "cached", "error"}) {
    header.emplace_back(name);
  }
  write_row(out, header);

  std::vector<std::string> fields;
  report.for_each_case([&](const Json& report_case) {
    const std::string id = report::case_id(report_case);
    const std::string reference = report::text_at(report_case, "reference");
    for (const Json& result : report_case["results"]) {
      fields = {id, report::text_at(result, "variant")};
      if (repeats) {
        fields.push_back(number_field(result, "repeat"));
      }
      fields.push_back(reference);
      fields.push_back(report::text_at(result, "output"));
      fields.push_back(report::text_at(result, "extracted"));
      const auto scores_it = result.find("scores");
      const Json& scores = scores_it == result.end() ? kNoScores : *scores_it;
      for (const std::string& metric : metrics) {
        fields.push_back(number_field(scores, metric.c_str()));
      }
      fields.push_back(number_field(result, "latency_ms"));
      fields.emplace_back(report::bool_at(result, "cached", false) ? "true" : "false");
      fields.push_back(report::error_text(result));
      write_row(out, fields);
    }
  });
}

}  // namespace promptbench
