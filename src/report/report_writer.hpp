// SPDX-License-Identifier: Apache-2.0
// The JSON report's writer: cases are streamed to `<output>.cases.tmp` as they finish, so
// memory never holds them; at the end the head and the spooled cases are written through an
// atomic file, so a reader never sees half a report. The spool is read back through the
// descriptor it was written with: deleted or replaced by name during the run, it still
// holds every case (docs/FAULTS.md).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "promptbench/case_result.hpp"
#include "promptbench/report.hpp"

namespace promptbench {

class ReportWriter {
 public:
  /// Creates the spool. Throws UserError("cannot write <spool>: <reason>") when it cannot.
  explicit ReportWriter(std::filesystem::path output);
  ~ReportWriter();
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  /// Appends one case (redacted) to the spool. A failure to write it (disk full) is not
  /// thrown here but kept in failure(): the run stops on it, and finish() throws it.
  void add_case(const CaseRecord& record);
  /// The first failure to write the spool, "cannot write <spool>: <reason>"; the report can
  /// no longer be complete.
  [[nodiscard]] const std::optional<std::string>& failure() const;
  /// Writes the report. Throws UserError("cannot write <path>: <reason>") when it cannot (or
  /// the spool failed); the report file is then as it was before the run.
  void finish(const ReportSummary& summary);

 private:
  struct Spool;
  std::filesystem::path m_output;
  std::unique_ptr<Spool> m_spool;
};

}  // namespace promptbench
