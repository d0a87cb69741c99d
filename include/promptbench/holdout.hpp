// SPDX-License-Identifier: Apache-2.0
// The holdout guard (README "Splits and the holdout guard"): every run that evaluates test
// cases is a look at the test split, and each look spends some of the split's power to show
// overfitting. A ledger -- a small JSON file meant to be committed -- records the looks;
// `holdout: {max_looks: N}` refuses more than N of them without --force-look.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/config.hpp"
#include "promptbench/report.hpp"
#include "promptbench/split.hpp"

namespace promptbench {

/// The ledger's file name, in the folder of the response cache (--cache).
inline constexpr const char* kHoldoutLedgerName = "holdout-ledger.json";

/// Where the ledger of a run whose cache is `cache` lives: beside it, even with --no-cache.
[[nodiscard]] std::filesystem::path holdout_ledger_path(const std::filesystem::path& cache);

/// What identifies "this test split" in the ledger: the dataset's path as seen from the
/// ledger's folder and the split as configured (hash shares and salt, or the split field).
/// Another salt, other shares or another dataset file is another test split.
[[nodiscard]] nlohmann::ordered_json holdout_split_key(const Config& config,
                                                       const std::filesystem::path& ledger);

/// The checksum of a prompt as it is sent: its template text or messages and its params.
[[nodiscard]] std::string prompt_sha256(const PromptConfig& prompt);

/// How often a test split has been looked at.
struct LookCount {
  std::size_t looks = 0;
  std::size_t prompt_versions = 0;  ///< distinct sets of prompt checksums among them
};

/// The ledger file: {"format": "promptbench-holdout-ledger", "version": 1, "looks": [...]},
/// each look an object (see README). An absent file is an empty ledger; a file that is not
/// such a ledger is a UserError naming it (and line:col for malformed JSON), never reset.
class HoldoutLedger {
 public:
  [[nodiscard]] static HoldoutLedger read(const std::filesystem::path& path);

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] LookCount count(const nlohmann::ordered_json& split_key) const;
  /// Appends `look` under an exclusive lock on "<ledger>.lock" (re-reading the file first,
  /// so that concurrent runs both keep their entry) and replaces the file atomically.
  static void append(const std::filesystem::path& path, const nlohmann::ordered_json& look);

 private:
  std::filesystem::path m_path;
  nlohmann::ordered_json m_document;
};

/// One run's look at the test split, from before the run (the check) to after its report
/// was written (the record).
class HoldoutGuard {
 public:
  /// Counts the looks at this test split; says on stderr how many there were ("test split
  /// looked at 3 times before, by 2 distinct prompt versions"); throws UserError located at
  /// `holdout.max_looks` when there were max_looks already and `force` is not set. A shard
  /// other than 0 of a sharded run neither checks nor records: shard 0 stands for the run.
  HoldoutGuard(const Config& config, const std::vector<std::string>& prompt_ids,
               const std::filesystem::path& ledger, SplitChoice choice, const Shard& shard,
               bool force);

  /// The report's run.holdout: {"look": N, "max_looks": M, "forced": bool, "ledger": PATH}.
  [[nodiscard]] const nlohmann::ordered_json& report_entry() const { return m_report; }
  /// Records the look, with the run's results: the config and prompt checksums, the time,
  /// each variant's metric means and the gates' verdict.
  void record(const ReportSummary& summary) const;

 private:
  std::filesystem::path m_ledger;
  nlohmann::ordered_json m_key;
  nlohmann::ordered_json m_prompts;  ///< prompt id -> checksum, of the prompts run
  std::string m_config_sha256;
  SplitChoice m_choice;
  bool m_counts = true;  ///< false for shards other than 0
  nlohmann::ordered_json m_report;
};

}  // namespace promptbench
