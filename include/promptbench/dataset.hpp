// SPDX-License-Identifier: Apache-2.0
// Datasets: JSONL, JSON array or CSV, streamed row by row -- never loaded whole.
// Every row becomes a JSON object; a Case adds the reference answer and a stable id.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/config.hpp"
#include "promptbench/error.hpp"

namespace promptbench {

/// One dataset row ready to be evaluated.
struct Case {
  std::size_t index = 0;     ///< 0-based position in the dataset
  std::string id;            ///< the id field's value, else the 1-based row number
  nlohmann::json vars;       ///< the whole row, as an object (template variables)
  nlohmann::json reference;  ///< the expected answer: a string, a list of strings, or any JSON
  SourceLocation where;      ///< file:line where the row starts
};

/// Reads rows one at a time. Throws UserError (file:line) on a malformed row.
class RowReader {
 public:
  virtual ~RowReader() = default;
  /// The next row as a JSON object, or nullopt at the end of the data.
  virtual std::optional<nlohmann::json> next() = 0;
  /// Where the row most recently returned by next() starts.
  [[nodiscard]] virtual SourceLocation where() const = 0;
};

/// Opens the dataset in the format `config.format` names, or else its extension says
/// (.jsonl/.ndjson, .json, .csv). Throws UserError if the file cannot be opened or the
/// format is unknown. `display_path` names the file in messages; `max_row_bytes` bounds a row.
[[nodiscard]] std::unique_ptr<RowReader> open_rows(const DatasetConfig& config);

/// Format-specific readers, for tests and for callers that already know the format. A row
/// longer than `max_row_bytes` (its line end not counted) is a UserError at the line where it
/// starts, thrown before more than that is held in memory.
[[nodiscard]] std::unique_ptr<RowReader> make_jsonl_reader(
    std::unique_ptr<std::istream> in, std::string display_path,
    std::size_t max_row_bytes = kDefaultMaxRowBytes);
[[nodiscard]] std::unique_ptr<RowReader> make_json_array_reader(
    std::unique_ptr<std::istream> in, std::string display_path,
    std::size_t max_row_bytes = kDefaultMaxRowBytes);
[[nodiscard]] std::unique_ptr<RowReader> make_csv_reader(
    std::unique_ptr<std::istream> in, std::string display_path,
    std::size_t max_row_bytes = kDefaultMaxRowBytes);

/// Turns rows into Cases: picks the reference and id fields. A row without the reference
/// field, or without a field a metric takes its reference from (config.metric_references),
/// or with null in one, is a UserError naming file:line and the field.
class CaseReader {
 public:
  explicit CaseReader(const DatasetConfig& config);
  CaseReader(std::unique_ptr<RowReader> rows, const DatasetConfig& config);
  [[nodiscard]] std::optional<Case> next();

 private:
  std::unique_ptr<RowReader> m_rows;
  std::string m_reference_field;
  std::string m_id_field;
  std::vector<DatasetConfig::MetricReference> m_metric_references;
  std::size_t m_index = 0;
};

}  // namespace promptbench
