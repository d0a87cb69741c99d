// SPDX-License-Identifier: Apache-2.0
// Report formats rendered from the JSON report, the source of truth (README "Report formats"):
// JUnit XML, Markdown, CSV, HTML. The same renderers serve `eval --junit/--md/--csv` (reading the
// report eval has just written) and `promptbench report` (reading an existing one).
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "promptbench/case_result.hpp"

namespace promptbench {

/// A report as the renderers read it: everything but the cases is held in memory (`head`),
/// the cases are streamed one at a time, so a report with a million cases renders in a few
/// megabytes. Both the head and every case are checked before a renderer sees them: a
/// renderer may rely on the fields and types listed in check_report_head / check_report_case.
class ReportSource {
 public:
  virtual ~ReportSource() = default;
  /// The file's path (or the name given to report_from_json), for messages.
  [[nodiscard]] virtual const std::string& name() const = 0;
  /// The report without its cases: schema_version, tool, run, variants, comparisons, gates.
  [[nodiscard]] virtual const nlohmann::ordered_json& head() const = 0;
  /// Calls `visit` with every case, in the report's order. May be called more than once.
  /// Throws UserError (naming the source and the case) for a case of the wrong shape.
  virtual void for_each_case(
      const std::function<void(const nlohmann::ordered_json&)>& visit) const = 0;
  /// The same cases as typed records (the check reads them anyway: no second conversion).
  virtual void for_each_record(const std::function<void(CaseRecord&&)>& visit) const = 0;
};

/// A report file read in one pass for its head and one more per for_each_case. Throws
/// UserError, located as `path:line:col` or `path: field`, when the file is missing, is not
/// JSON, has another schema_version or lacks a required field.
[[nodiscard]] std::unique_ptr<ReportSource> open_report_file(const std::filesystem::path& path);

/// A report already in memory (tests, and callers that built it themselves). `name` stands
/// for the file in messages. Throws UserError as open_report_file does.
[[nodiscard]] std::unique_ptr<ReportSource> report_from_json(nlohmann::ordered_json report,
                                                             std::string name = "report");

/// Checks what every renderer relies on. Head: an object with schema_version 1 and a
/// `variants` array of objects with a string `id` (and, when present, a `metrics` object of
/// objects); `comparisons` and `gates` arrays when present; no `cases` beyond an array.
/// Throws UserError("<name>: <field>: <problem>").
void check_report_head(const nlohmann::ordered_json& head, const std::string& name);
/// Case: an object with a string or number `id` and a `results` array of objects, each with
/// a string `variant`, and when present: `scores` an object of numbers or nulls, `pass` an
/// object of booleans, `output`/`extracted` strings or null, `error` null or an object.
/// `index` is the case's position, for the message ("cases[3].results[0].variant").
void check_report_case(const nlohmann::ordered_json& report_case, std::size_t index,
                       const std::string& name);

/// One format: its flag name (`--junit`), what it is, and the function writing it.
struct ReportFormat {
  const char* name;
  const char* description;
  void (*render)(const ReportSource& report, std::ostream& out);
};

/// Every format, in the order of the command-line flags.
[[nodiscard]] std::span<const ReportFormat> report_formats();

/// JUnit XML: <testsuites> holding a <testsuite> per variant with a <testcase> per case (a
/// <failure> when a metric with a pass/fail flag failed, an <error> when the request or the
/// extraction failed; expected, actual and scores in the message) and a "gates" suite with
/// a <testcase> per gate. Every string is escaped; characters XML 1.0 cannot hold (control
/// characters, invalid UTF-8) become U+FFFD.
void render_junit(const ReportSource& report, std::ostream& out);

/// Markdown for people and $GITHUB_STEP_SUMMARY: a summary table (variants x metrics with
/// their 95% interval, errors, latency p50), the comparison table and the gates.
void render_markdown(const ReportSource& report, std::ostream& out);

/// CSV (RFC 4180, CRLF line ends): a header, then a row per case and variant: case_id,
/// variant, [repeat,] reference, output, extracted, one column per metric, latency_ms,
/// cached, error.
void render_csv(const ReportSource& report, std::ostream& out);

/// HTML (docs/HTML_REPORT.md): one self-contained page that opens from file:// and makes no
/// network request: the run header, the summary with whisker bars and distributions, the
/// comparisons as a forest plot, the gates, and a case explorer. The cases are streamed into
/// compressed blocks, so the memory it takes does not grow with the report. Every string of
/// the report is data to the page, never markup.
void render_html(const ReportSource& report, std::ostream& out);

/// Renders `format` of `report` to `path`, atomically (the old file or the whole new one,
/// never half). Throws UserError("cannot write <path>: <reason>").
void write_report_format(const ReportFormat& format, const ReportSource& report,
                         const std::filesystem::path& path);

}  // namespace promptbench
