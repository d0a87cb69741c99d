// SPDX-License-Identifier: Apache-2.0
// Fuzzes the report reader that `report`, `compare` and `merge` open their inputs with
// (open_report_file), and the renderers `report` runs on what it read. A UserError is the
// expected answer to a bad report; any other exception, a crash, or a broken invariant is a
// finding. Invariants:
//  - a case read back (case_from_json) and written again (to_json) is a fixed point:
//    reading that JSON once more gives the same JSON;
//  - so is the whole report: its head and its cases as read, written to a file and read
//    back with open_report_file, give the same JSON again;
//  - its summary is a fixed point too: when the head's plan can be read, the variants,
//    comparisons and gates recomputed from the cases (summarize_report), written into the
//    head in place of the report's own, are what summarize_report computes from that
//    report again (what `merge` writes, `compare` and `merge` read back the same);
//  - with PROMPTBENCH_FUZZ_REPORT_FROM_EVAL=1 in the environment (scripts/fuzz.sh, for the
//    seeds eval wrote): the report re-serialises to exactly its own JSON, and the summary
//    recomputed from its cases is exactly the one it holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/case_result.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/summary.hpp"

namespace {

using Json = nlohmann::ordered_json;
using promptbench::fuzz::invariant_failed;

constexpr const char* kSummaryKeys[] = {"variants", "comparisons", "gates"};

bool from_eval() {
  static const bool strict = [] {
    const char* value = std::getenv("PROMPTBENCH_FUZZ_REPORT_FROM_EVAL");
    return value != nullptr && std::string_view(value) == "1";
  }();
  return strict;
}

void check_round_trip(promptbench::CaseRecord&& record, std::size_t position,
                      std::string_view input) {
  const nlohmann::ordered_json written = promptbench::to_json(record);
  nlohmann::ordered_json rewritten;
  try {
    rewritten = promptbench::to_json(promptbench::case_from_json(written, position, "again"));
  } catch (const promptbench::UserError& e) {
    invariant_failed(std::string("a case read back cannot be read again: ") + e.what(), input);
  }
  if (rewritten != written) {
    invariant_failed("a case read back re-serialises to other JSON: " + written.dump() +
                         " != " + rewritten.dump(),
                     input);
  }
}

/// The report as read: its head, then its cases as typed records written back.
Json as_read(const promptbench::ReportSource& report) {
  Json whole = report.head();
  Json cases = Json::array();
  report.for_each_record(
      [&](promptbench::CaseRecord&& record) { cases.push_back(promptbench::to_json(record)); });
  whole["cases"] = std::move(cases);
  return whole;
}

std::unique_ptr<promptbench::ReportSource> reopen(const Json& whole, const char* name) {
  const auto path = promptbench::fuzz::write_scratch_file(
      name, whole.dump(-1, ' ', false, Json::error_handler_t::replace));
  return promptbench::open_report_file(path);
}

/// The summary sections summarize_report gives, as the report's JSON; null when the head's
/// plan cannot be read (a UserError: not every report that renders can be summarised).
Json recomputed_summary(const promptbench::ReportSource& report) {
  promptbench::ReportSummary summary;
  try {
    const promptbench::SummaryFigures figures = promptbench::summarize_report(report);
    summary.variants = figures.variants;
    summary.comparisons = figures.comparisons;
    summary.gates = figures.gates;
  } catch (const promptbench::UserError&) {
    return nullptr;
  }
  const Json written = promptbench::to_json(summary);
  Json sections = Json::object();
  for (const char* key : kSummaryKeys) {
    sections[key] = written[key];
  }
  return sections;
}

void check_whole_report(const promptbench::ReportSource& report, std::string_view input) {
  const Json whole = as_read(report);
  std::unique_ptr<promptbench::ReportSource> again;
  try {
    again = reopen(whole, "again.json");
  } catch (const promptbench::UserError& e) {
    invariant_failed(std::string("a report read back cannot be read again: ") + e.what(), input);
  }
  const Json whole_again = as_read(*again);
  if (whole_again != whole) {
    invariant_failed("a report read back re-serialises to other JSON", input);
  }
  if (from_eval() && whole != Json::parse(input, nullptr, false)) {
    invariant_failed("a report eval wrote does not re-serialise to its own JSON", input);
  }

  const Json summary = recomputed_summary(*again);
  if (summary.is_null()) {
    return;
  }
  if (from_eval()) {
    for (const char* key : kSummaryKeys) {
      if (summary[key].dump() != whole[key].dump()) {
        invariant_failed(std::string("the ") + key +
                             " recomputed from an eval report's cases differ from its own",
                         input);
      }
    }
  }
  Json summarised = whole;
  for (const char* key : kSummaryKeys) {
    summarised[key] = summary[key];
  }
  std::unique_ptr<promptbench::ReportSource> rewritten;
  try {
    rewritten = reopen(summarised, "summarised.json");
  } catch (const promptbench::UserError& e) {
    invariant_failed(
        std::string("a report with its recomputed summary cannot be read: ") + e.what(), input);
  }
  const Json summary_again = recomputed_summary(*rewritten);
  for (const char* key : kSummaryKeys) {
    if (summary_again.is_null() || summary_again[key].dump() != summary[key].dump()) {
      invariant_failed(
          std::string("the recomputed ") + key + " is not a fixed point: " + summary[key].dump() +
              " != " + (summary_again.is_null() ? "(no plan)" : summary_again[key].dump()),
          input);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const auto path = promptbench::fuzz::write_scratch_file("report.json", input);
  try {
    const std::unique_ptr<promptbench::ReportSource> report = promptbench::open_report_file(path);
    std::size_t position = 0;
    report->for_each_record([&](promptbench::CaseRecord&& record) {
      check_round_trip(std::move(record), position++, input);
    });
    for (const promptbench::ReportFormat& format : promptbench::report_formats()) {
      std::ostringstream out;
      format.render(*report, out);
    }
    check_whole_report(*report, input);
  } catch (const promptbench::UserError&) {
    // The documented answer to a bad report.
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading the report threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}
