// SPDX-License-Identifier: Apache-2.0
// `eval --samples PATH`: one JSON line per result, written as cases finish, for jq and pandas
// while the run goes on (README "Choosing cases").
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "promptbench/case_result.hpp"

namespace promptbench::cli {

/// The line of one result of a case: case_id, index, reference, variant, repeat, output,
/// extracted, scores, pass, latency_ms, error -- the values the report holds for it.
[[nodiscard]] nlohmann::ordered_json sample_line(const nlohmann::ordered_json& case_json,
                                                 const nlohmann::ordered_json& result);

/// A stream, not an atomic file: lines appear as cases finish, so a long run can be watched
/// (`tail -f`). Secrets are redacted as in the report.
class SamplesFile {
 public:
  /// Creates (or empties) the file. Throws UserError("--samples PATH: cannot write: ...").
  explicit SamplesFile(const std::filesystem::path& path);

  /// Writes a line per result of `record` and flushes.
  void write(const CaseRecord& record);

 private:
  static std::ofstream open(const std::filesystem::path& path);

  std::string m_name;
  std::ofstream m_out;
};

}  // namespace promptbench::cli
