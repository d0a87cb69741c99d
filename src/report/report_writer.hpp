// SPDX-License-Identifier: Apache-2.0
// The JSON report's writer: cases are streamed to `<output>.cases.tmp` as they finish, so
// memory never holds them; at the end the head and the spooled cases are written through an
// atomic file, so a reader never sees half a report.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "promptbench/report.hpp"

namespace promptbench {

class ReportWriter {
 public:
  explicit ReportWriter(std::filesystem::path output);
  ~ReportWriter();
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  /// Appends one case (redacted) to the spool.
  void add_case(const nlohmann::ordered_json& case_json);
  /// Writes the report. Throws UserError("cannot write <path>: <reason>") when it cannot.
  void finish(const ReportSummary& summary);

 private:
  struct Spool;
  std::filesystem::path m_output;
  std::unique_ptr<Spool> m_spool;
};

}  // namespace promptbench
