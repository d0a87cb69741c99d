// SPDX-License-Identifier: Apache-2.0
// Reading reports for the renderers and `compare`: the head in memory, the cases streamed
// (a parse callback hands each case over and drops it), both checked with located messages.
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "promptbench/case_result.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report.hpp"
#include "promptbench/report_formats.hpp"
#include "report/json_checks.hpp"
#include "report/report_head_checks.hpp"
#include "util/input_limits.hpp"

namespace promptbench {

namespace {

using report_checks::expect;
using report_checks::fail;
using report_checks::Json;
using report_checks::optional_field;
using CaseVisitor = std::function<void(const Json&)>;
using RecordVisitor = std::function<void(CaseRecord&&)>;
/// A case as checked: its JSON and the record the check read from it.
using CheckedVisitor = std::function<void(const Json&, CaseRecord&&)>;

/// The report's own levels above a dataset row's values: root, cases, a case, results, a
/// result, its details; the row itself may nest kMaxNestingDepth deep.
constexpr std::size_t kMaxReportDepth = util::kMaxNestingDepth + 6;

/// Reads `path` with a parse callback: cases (the objects of the top-level "cases" array)
/// go to `visit` (when given) and are dropped; the rest is returned.
Json parse_streaming(const std::filesystem::path& path, const CheckedVisitor* visit) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(name, "", fmt::format("cannot read the report: {}", std::strerror(errno)));
  }
  std::string top_key;
  std::size_t index = 0;
  const auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    // Parsing takes any depth, but copying, rendering and freeing a value recurse: a report
    // from elsewhere must not nest deeper than eval ever writes (a dataset row's limit, plus
    // the report's own levels).
    if (depth > static_cast<int>(kMaxReportDepth)) {
      fail(name, top_key == "cases" ? fmt::format("cases[{}]", index) : top_key,
           fmt::format("values nested deeper than {} levels", kMaxReportDepth));
    }
    if (depth == 1 && event == Json::parse_event_t::key) {
      top_key = parsed.get<std::string>();
      return true;
    }
    if (depth != 2 || top_key != "cases") {
      return true;
    }
    if (event == Json::parse_event_t::object_end) {
      CaseRecord record = case_from_json(parsed, index, name);
      ++index;
      if (visit != nullptr) {
        (*visit)(parsed, std::move(record));
      }
      return false;
    }
    if (event == Json::parse_event_t::value || event == Json::parse_event_t::array_end) {
      expect(false, parsed, name, fmt::format("cases[{}]", index), "an object");
    }
    return true;
  };
  try {
    return Json::parse(in, callback);
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the offending byte; turn it into line and column.
    std::ifstream again(path, std::ios::binary);
    std::string text(e.byte, '\0');
    again.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(again.gcount()));
    const SourceLocation where =
        location_of_offset(name, text, e.byte > 0 ? std::min(e.byte - 1, text.size()) : 0);
    std::string message = e.what();
    if (const auto colon = message.find(": "); colon != std::string::npos) {
      message = message.substr(colon + 2);  // drop nlohmann's "[json.exception.parse_error.101]"
    }
    throw UserError(where, "", "not a valid JSON report: " + message);
  } catch (const Json::out_of_range& e) {
    // A number beyond a double (1e400) has no position in nlohmann's error; it escaped as
    // exit 3 before (the same bug fuzz_dataset found in the dataset readers).
    std::string message = e.what();
    if (const auto bracket = message.find("] "); bracket != std::string::npos) {
      message = message.substr(bracket + 2);  // drop "[json.exception.out_of_range.406]"
    }
    throw UserError(SourceLocation{name, 0, 0}, "", "not a valid JSON report: " + message);
  }
}

class FileReport : public ReportSource {
 public:
  explicit FileReport(std::filesystem::path path)
      : m_path(std::move(path)), m_head(parse_streaming(m_path, nullptr)) {
    check_report_head(m_head, m_path.string());
  }

  const std::string& name() const override { return m_name; }
  const Json& head() const override { return m_head; }

  void for_each_case(const CaseVisitor& visit) const override {
    const CheckedVisitor checked = [&](const Json& json, CaseRecord&&) { visit(json); };
    parse_streaming(m_path, &checked);
  }

  void for_each_record(const RecordVisitor& visit) const override {
    const CheckedVisitor checked = [&](const Json&, CaseRecord&& record) {
      visit(std::move(record));
    };
    parse_streaming(m_path, &checked);
  }

 private:
  std::filesystem::path m_path;
  std::string m_name = m_path.string();
  Json m_head;
};

class MemoryReport : public ReportSource {
 public:
  MemoryReport(Json report, std::string name) : m_name(std::move(name)) {
    if (report.is_object()) {
      if (const auto cases = report.find("cases"); cases != report.end() && cases->is_array()) {
        m_cases = std::move(*cases);
        report.erase("cases");
        report["cases"] = Json::array();
      }
    }
    m_head = std::move(report);
    check_report_head(m_head, m_name);
    for (std::size_t i = 0; i < m_cases.size(); ++i) {
      check_report_case(m_cases[i], i, m_name);
    }
  }

  const std::string& name() const override { return m_name; }
  const Json& head() const override { return m_head; }

  void for_each_record(const RecordVisitor& visit) const override {
    for (std::size_t i = 0; i < m_cases.size(); ++i) {
      visit(case_from_json(m_cases[i], i, m_name));
    }
  }

  void for_each_case(const CaseVisitor& visit) const override {
    for (const Json& c : m_cases) {
      visit(c);
    }
  }

 private:
  std::string m_name;
  Json m_head;
  Json m_cases = Json::array();
};

}  // namespace

void check_report_head(const Json& head, const std::string& name) {
  expect(head.is_object(), head, name, "", "a JSON object (a promptbench report)");
  const auto version = head.find("schema_version");
  if (version == head.end()) {
    fail(name, "", "missing field \"schema_version\" (not a promptbench report?)");
  }
  if (*version != kReportSchemaVersion) {
    fail(name, "schema_version",
         fmt::format("unsupported version {} (this promptbench reads version {})", version->dump(),
                     kReportSchemaVersion));
  }
  const auto variants = head.find("variants");
  if (variants == head.end()) {
    fail(name, "", "missing field \"variants\"");
  }
  expect(variants->is_array(), *variants, name, "variants", "an array");
  for (std::size_t v = 0; v < variants->size(); ++v) {
    const Json& variant = (*variants)[v];
    const std::string field = fmt::format("variants[{}]", v);
    expect(variant.is_object(), variant, name, field, "an object");
    const auto id = variant.find("id");
    if (id == variant.end()) {
      fail(name, field, "missing field \"id\"");
    }
    expect(id->is_string(), *id, name, field + ".id", "a string");
    optional_field(variant, "metrics", name, field, "an object",
                   [](const Json& m) { return m.is_object(); });
    if (const auto metrics = variant.find("metrics");
        metrics != variant.end() && metrics->is_object()) {
      for (const auto& [metric, summary] : metrics->items()) {
        expect(summary.is_object(), summary, name, field + ".metrics." + metric, "an object");
      }
    }
  }
  for (const char* key : {"comparisons", "gates", "cases"}) {
    optional_field(head, key, name, "", "an array", [](const Json& v) { return v.is_array(); });
    if (const auto list = head.find(key); list != head.end() && list->is_array()) {
      for (std::size_t i = 0; i < list->size() && std::string_view(key) != "cases"; ++i) {
        expect((*list)[i].is_object(), (*list)[i], name, fmt::format("{}[{}]", key, i),
               "an object");
      }
    }
  }
  optional_field(head, "run", name, "", "an object", [](const Json& v) { return v.is_object(); });
  report_checks::check_run_sections(report_checks::member(head, "run"), name);
  report_checks::check_slices_section(head, name);
}

void check_report_case(const Json& report_case, std::size_t index, const std::string& name) {
  (void)case_from_json(report_case, index, name);
}

std::unique_ptr<ReportSource> open_report_file(const std::filesystem::path& path) {
  return std::make_unique<FileReport>(path);
}

std::unique_ptr<ReportSource> report_from_json(Json report, std::string name) {
  return std::make_unique<MemoryReport>(std::move(report), std::move(name));
}

}  // namespace promptbench
