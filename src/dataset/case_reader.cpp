// SPDX-License-Identifier: Apache-2.0
// Turns dataset rows into Cases: the reference answer, a stable id and the row's location.
#include <string>

#include <fmt/format.h>

#include "promptbench/dataset.hpp"

namespace promptbench {

namespace {

std::string id_of(const nlohmann::json& row, const std::string& field,
                  const SourceLocation& where) {
  const auto found = row.find(field);
  if (found == row.end()) {
    throw UserError(where, "", "missing id field \"" + field + "\"");
  }
  if (found->is_number()) {
    return found->dump();
  }
  if (!found->is_string()) {
    throw UserError(
        where, "",
        "id field \"" + field + "\" must be a string or a number, got " + found->type_name());
  }
  auto id = found->get<std::string>();
  if (id.empty()) {
    throw UserError(where, "", "empty id field \"" + field + "\"");
  }
  return id;
}

}  // namespace

CaseReader::CaseReader(const DatasetConfig& config) : CaseReader(open_rows(config), config) {}

CaseReader::CaseReader(std::unique_ptr<RowReader> rows, const DatasetConfig& config)
    : m_rows(std::move(rows)),
      m_reference_field(config.reference),
      m_id_field(config.id),
      m_metric_references(config.metric_references) {}

std::optional<Case> CaseReader::next() {
  std::optional<nlohmann::json> row = m_rows->next();
  if (!row) {
    return std::nullopt;
  }
  Case result;
  result.where = m_rows->where();
  const auto reference = row->find(m_reference_field);
  if (reference == row->end()) {
    throw UserError(result.where, "", "missing reference field \"" + m_reference_field + "\"");
  }
  // A null answer would score as "nothing is correct" on some metrics and as "null" on
  // others; a row without an answer is a mistake in the data, named here.
  if (reference->is_null()) {
    throw UserError(result.where, "",
                    "reference field \"" + m_reference_field +
                        "\" is null (expected a string or "
                        "a list of strings)");
  }
  result.reference = *reference;
  result.id =
      m_id_field.empty() ? std::to_string(m_index + 1) : id_of(*row, m_id_field, result.where);
  // A metric's own reference is checked like the dataset's, and named with the case and the
  // metric, so a missing answer stops the run before anything is sent rather than leaving
  // that metric unscored.
  for (const DatasetConfig::MetricReference& wanted : m_metric_references) {
    const auto value = row->find(wanted.field);
    if (value == row->end()) {
      throw UserError(result.where, "",
                      fmt::format("case '{}': missing field \"{}\", the reference of metric '{}'",
                                  result.id, wanted.field, wanted.metric));
    }
    if (value->is_null()) {
      throw UserError(result.where, "",
                      fmt::format("case '{}': field \"{}\", the reference of metric '{}', is null",
                                  result.id, wanted.field, wanted.metric));
    }
  }
  result.index = m_index++;
  result.vars = std::move(*row);
  return result;
}

}  // namespace promptbench
