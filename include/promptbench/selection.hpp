// SPDX-License-Identifier: Apache-2.0
// Case selection (README "Choosing cases"): `eval --case`, `--case-pattern`, `--sample N
// --seed S`, `--filter-failing REPORT` and `--filter-errors-only REPORT` choose which cases of
// the dataset run. Selected cases keep their dataset index, as a shard's do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace re2 {
class RE2;
}

namespace promptbench {

class SplitFilter;

/// The criteria as given on the command line; all empty = every case.
struct SelectionCriteria {
  std::vector<std::string> ids;       ///< --case (repeatable): these ids
  std::string pattern;                ///< --case-pattern: ids where this RE2 matches somewhere
  std::optional<std::size_t> sample;  ///< --sample N: N of the cases the filters leave
  std::uint64_t seed = 0;             ///< --seed: the sample's hash seed
  std::string filter_failing;         ///< --filter-failing REPORT
  std::string filter_errors_only;     ///< --filter-errors-only REPORT

  [[nodiscard]] bool selects_all() const;
  /// The report's run.selection: the criteria (not the selected ids) and `cases`, how many
  /// were selected. Only the criteria given appear.
  [[nodiscard]] nlohmann::ordered_json to_json(std::size_t selected) const;
  /// "--case-pattern ^r0, --sample 20": the criteria as flags, for messages.
  [[nodiscard]] std::string describe() const;
};

/// The sample's order of cases: XXH64 of the id (UTF-8) with the seed, ties broken by the id,
/// so it is total, the same on every machine, and a case's place depends on its id alone.
struct SampleKey {
  std::uint64_t hash = 0;
  std::string id;

  static SampleKey of(std::string_view id, std::uint64_t seed);
  friend bool operator<(const SampleKey& a, const SampleKey& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.id < b.id;
  }
};

/// Decides which cases run. The filters (--case, --case-pattern, the reports) hold for every
/// case by themselves; they are intersected: a case runs when it passes all that are given.
/// The sample needs every id first: offer() each filtered case in one pass, then
/// close_sample(); from then selects() also applies the sample.
class CaseSelector {
 public:
  /// Compiles the pattern and reads the reports. Throws UserError naming the flag
  /// ("--case-pattern (: missing )") or the report file.
  explicit CaseSelector(SelectionCriteria criteria);
  ~CaseSelector();
  CaseSelector(CaseSelector&&) noexcept;
  CaseSelector& operator=(CaseSelector&&) noexcept;

  [[nodiscard]] const SelectionCriteria& criteria() const { return m_criteria; }
  [[nodiscard]] bool samples() const { return m_criteria.sample.has_value(); }

  /// `eval --split`: from now on the filters also require the case to be in this split,
  /// which comes first: the sample is drawn from the split's cases.
  void set_split(std::shared_ptr<SplitFilter> split);
  /// The split, for the passes over the rows to admit() each one (a split field is read
  /// from the row); null without one.
  [[nodiscard]] SplitFilter* split() const { return m_split.get(); }

  /// Whether the filters let this case through (the sample aside).
  [[nodiscard]] bool passes_filters(std::string_view id) const;
  /// The sampling pass: a case in the dataset (notes a --case id as present) that the
  /// filters let through competes for the sample.
  void offer(std::string_view id);
  /// Ends the sampling pass: the sample is the `sample` smallest keys offered (all of them
  /// when fewer were offered).
  void close_sample();
  /// Notes that a case with this id is in the dataset, so that check_ids_found can name the
  /// --case ids that are not.
  void note_present(std::string_view id);
  /// Throws UserError("--case X: no such case id") for the first --case id never noted.
  void check_ids_found(std::optional<std::size_t> limit) const;
  /// Whether the case runs: it passes the filters and, with --sample, is in the sample.
  [[nodiscard]] bool selects(std::string_view id) const;

 private:
  SelectionCriteria m_criteria;
  std::unordered_set<std::string> m_ids;
  std::unordered_set<std::string> m_ids_found;
  std::unique_ptr<re2::RE2> m_pattern;
  std::optional<std::unordered_set<std::string>> m_failing;
  std::optional<std::unordered_set<std::string>> m_errored;
  std::vector<SampleKey> m_heap;   ///< a max-heap of the smallest keys offered so far
  std::optional<SampleKey> m_cut;  ///< the largest key in the sample, once closed
  std::shared_ptr<SplitFilter> m_split;
};

/// The ids of the cases of a report that failed: any result with a request or extraction
/// error, a metric without a score (a score error), or a pass flag that is false -- over
/// every variant and repeat. With `errors_only`, only those with a request or extraction
/// error. Streams the report; throws UserError naming `flag` and the file.
[[nodiscard]] std::unordered_set<std::string> failed_case_ids(const std::string& report,
                                                              bool errors_only);

}  // namespace promptbench
