// SPDX-License-Identifier: Apache-2.0
// Case selection: the filters, the seeded sample and the reports' failed cases.
#include "promptbench/selection.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <xxhash.h>

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/split.hpp"

namespace promptbench {

namespace {

std::unique_ptr<re2::RE2> compile_pattern(const std::string& pattern) {
  if (pattern.empty()) {
    return nullptr;
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_unique<re2::RE2>(pattern, options);
  if (!regex->ok()) {
    throw UserError(fmt::format("--case-pattern {}: {}", pattern, regex->error()));
  }
  return regex;
}

std::optional<std::unordered_set<std::string>> read_failed(const std::string& report,
                                                           bool errors_only) {
  if (report.empty()) {
    return std::nullopt;
  }
  return failed_case_ids(report, errors_only);
}

bool has_error(const CaseResult& result) {
  return result.error.has_value();
}

bool failed(const CaseResult& result) {
  return has_error(result) ||
         std::any_of(result.metrics.begin(), result.metrics.end(), [](const MetricOutcome& m) {
           return m.error.has_value() || (m.pass && !*m.pass);
         });
}

}  // namespace

bool SelectionCriteria::selects_all() const {
  return ids.empty() && pattern.empty() && !sample && filter_failing.empty() &&
         filter_errors_only.empty();
}

nlohmann::ordered_json SelectionCriteria::to_json(std::size_t selected) const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!ids.empty()) {
    out["ids"] = ids;
  }
  if (!pattern.empty()) {
    out["pattern"] = pattern;
  }
  if (sample) {
    out["sample"] = *sample;
    out["seed"] = seed;
  }
  if (!filter_failing.empty()) {
    out["filter_failing"] = filter_failing;
  }
  if (!filter_errors_only.empty()) {
    out["filter_errors_only"] = filter_errors_only;
  }
  out["cases"] = selected;
  return out;
}

std::string SelectionCriteria::describe() const {
  std::vector<std::string> parts;
  for (const std::string& id : ids) {
    parts.push_back("--case " + id);
  }
  if (!pattern.empty()) {
    parts.push_back("--case-pattern " + pattern);
  }
  if (sample) {
    parts.push_back(fmt::format("--sample {} --seed {}", *sample, seed));
  }
  if (!filter_failing.empty()) {
    parts.push_back("--filter-failing " + filter_failing);
  }
  if (!filter_errors_only.empty()) {
    parts.push_back("--filter-errors-only " + filter_errors_only);
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

SampleKey SampleKey::of(std::string_view id, std::uint64_t seed) {
  return {XXH64(id.data(), id.size(), seed), std::string(id)};
}

CaseSelector::CaseSelector(SelectionCriteria criteria)
    : m_criteria(std::move(criteria)),
      m_ids(m_criteria.ids.begin(), m_criteria.ids.end()),
      m_pattern(compile_pattern(m_criteria.pattern)),
      m_failing(read_failed(m_criteria.filter_failing, false)),
      m_errored(read_failed(m_criteria.filter_errors_only, true)) {}

CaseSelector::~CaseSelector() = default;
CaseSelector::CaseSelector(CaseSelector&&) noexcept = default;
CaseSelector& CaseSelector::operator=(CaseSelector&&) noexcept = default;

void CaseSelector::set_split(std::shared_ptr<SplitFilter> split) {
  m_split = std::move(split);
}

bool CaseSelector::passes_filters(std::string_view id) const {
  const std::string key(id);
  return (!m_split || m_split->holds(id)) && (m_ids.empty() || m_ids.count(key) != 0) &&
         (!m_pattern || RE2::PartialMatch(id, *m_pattern)) &&
         (!m_failing || m_failing->count(key) != 0) && (!m_errored || m_errored->count(key) != 0);
}

/// A bounded max-heap: the largest of the N smallest keys so far sits on top, so a newcomer
/// enters only by displacing it.
void CaseSelector::offer(std::string_view id) {
  if (!passes_filters(id)) {
    return;
  }
  SampleKey key = SampleKey::of(id, m_criteria.seed);
  if (m_heap.size() < *m_criteria.sample) {
    m_heap.push_back(std::move(key));
    std::push_heap(m_heap.begin(), m_heap.end());
  } else if (!m_heap.empty() && key < m_heap.front()) {
    std::pop_heap(m_heap.begin(), m_heap.end());
    m_heap.back() = std::move(key);
    std::push_heap(m_heap.begin(), m_heap.end());
  }
}

void CaseSelector::close_sample() {
  if (!m_heap.empty()) {
    m_cut = m_heap.front();
  }
  m_heap = {};
}

void CaseSelector::note_present(std::string_view id) {
  if (m_ids.count(std::string(id)) != 0) {
    m_ids_found.emplace(id);
  }
}

void CaseSelector::check_ids_found(std::optional<std::size_t> limit) const {
  for (const std::string& id : m_criteria.ids) {
    if (m_ids_found.count(id) == 0) {
      throw UserError(
          fmt::format("--case {}: no such case id{}", id,
                      limit ? fmt::format(" in the first {} rows (--limit)", *limit) : ""));
    }
  }
}

bool CaseSelector::selects(std::string_view id) const {
  if (!passes_filters(id)) {
    return false;
  }
  if (!samples()) {
    return true;
  }
  return m_cut && !(*m_cut < SampleKey::of(id, m_criteria.seed));
}

std::unordered_set<std::string> failed_case_ids(const std::string& report, bool errors_only) {
  const char* flag = errors_only ? "--filter-errors-only" : "--filter-failing";
  std::unordered_set<std::string> ids;
  try {
    open_report_file(report)->for_each_record([&](CaseRecord&& record) {
      const bool selected =
          std::any_of(record.results.begin(), record.results.end(), [&](const CaseResult& result) {
            return errors_only ? has_error(result) : failed(result);
          });
      if (selected) {
        ids.insert(std::move(record.id));
      }
    });
  } catch (const UserError& error) {
    throw UserError(fmt::format("{}: {}", flag, error.what()));
  }
  return ids;
}

}  // namespace promptbench
