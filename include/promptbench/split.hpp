// SPDX-License-Identifier: Apache-2.0
// Dev/test splits (README "Splits and the holdout guard"): every case of the dataset belongs
// to dev or test, by a salted hash of its id (`dataset.split`) or by a field of its row
// (`dataset.split_field`). `eval --split dev|test|all` runs one of them; dev by default, so
// day-to-day runs never see the test cases.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "promptbench/config.hpp"

namespace promptbench {

struct Case;

inline constexpr std::string_view kDevSplit = "dev";
inline constexpr std::string_view kTestSplit = "test";

/// The split of a case by hash: XXH64 of its id (UTF-8) with a seed made from the salt, as a
/// fraction of 2^64: below `split.dev` is dev, the rest test. It depends on the id and the
/// salt alone, so appended rows never move a case, and its seed is not --shard's (0) nor
/// --sample's (--seed), so a split is independent of both.
[[nodiscard]] std::string_view hashed_split(std::string_view case_id, const SplitConfig& split);

/// `eval --split`.
enum class SplitChoice { dev, test, all };
/// "dev", "test" or "all"; throws UserError("--split X: expected dev, test or all").
[[nodiscard]] SplitChoice parse_split_choice(std::string_view text);
[[nodiscard]] const char* to_string(SplitChoice choice);
/// Whether a run of this choice evaluates test cases (and so is a look at the holdout).
[[nodiscard]] inline bool looks_at_test(SplitChoice choice) {
  return choice != SplitChoice::dev;
}

/// The config's split as the report and the ledger record it: {"by": "hash", "dev": 0.8,
/// "test": 0.2, "salt": ""} or {"by": "field", "field": "split"}.
[[nodiscard]] nlohmann::ordered_json to_json(const SplitConfig& split);
/// "by hash of the case id (dev 0.8, test 0.2, salt 'x')" or "by the field 'split'".
[[nodiscard]] std::string describe(const SplitConfig& split);

/// The line the summary table and the Markdown report show for a report's run.split and
/// run.holdout: "split: dev (160 of 200 cases)", "split: test (40 of 200 cases); look 3 at
/// the test split (at most 5)"; empty when `split` is null.
[[nodiscard]] std::string split_line(const nlohmann::ordered_json& split,
                                     const nlohmann::ordered_json& holdout);

/// Which cases of the dataset are in the chosen split.
class SplitFilter {
 public:
  SplitFilter(SplitConfig split, SplitChoice choice);

  [[nodiscard]] SplitChoice choice() const { return m_choice; }
  /// The case's split: by hash, or its split field's value, which must be "dev" or "test"
  /// (else a UserError at the row's file:line naming the field).
  [[nodiscard]] std::string_view split_of(const Case& row) const;
  /// Whether the case is in the chosen split (checking its split field); with a split
  /// field, remembers the id for holds(), since the id alone cannot tell.
  bool admit(const Case& row);
  /// Whether the case with this id is in the chosen split: by hash, or (split field) as
  /// admit() saw it.
  [[nodiscard]] bool holds(std::string_view case_id) const;

 private:
  SplitConfig m_split;
  SplitChoice m_choice;
  std::unordered_set<std::string> m_admitted;  ///< with a split field, and not `all`
};

}  // namespace promptbench
