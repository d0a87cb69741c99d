// SPDX-License-Identifier: Apache-2.0
// Fuzzes the report reader that `report`, `compare` and `merge` open their inputs with
// (open_report_file), and the renderers `report` runs on what it read. A UserError is the
// expected answer to a bad report; any other exception, a crash, or a case that does not
// re-serialise to the same JSON is a finding. The invariant: a case read back
// (case_from_json) and written again (to_json) is a fixed point -- reading that JSON once
// more gives the same JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/case_result.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"

namespace {

using promptbench::fuzz::invariant_failed;

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
  } catch (const promptbench::UserError&) {
    // The documented answer to a bad report.
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading the report threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}
