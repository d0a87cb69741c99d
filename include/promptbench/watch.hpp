// SPDX-License-Identifier: Apache-2.0
// `eval --watch` (README "Watch: re-run on every edit"): which files a config reads, an
// inotify watcher of those files, and what changed between two runs (each variant's metric
// means and the cases whose outcome flipped).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "promptbench/case_result.hpp"
#include "promptbench/config.hpp"
#include "promptbench/report.hpp"

namespace promptbench {

/// Every file a run of `config` reads, in this order and each once: the config file, the
/// prompt files, the dataset, then every existing file named by a string in a metric's
/// parameters (an llm_judge's `rubric_file`, a json_schema's `schema`, a command scorer's
/// program and the arguments of its `run` that are files) or in an endpoint's own options
/// (a provider type's `path`). Paths are as the run opens them: relative to the current
/// directory when the config path was. Touches nothing but the file system's metadata.
[[nodiscard]] std::vector<std::filesystem::path> watched_files(const Config& config);

/// How FileWatcher::wait waits.
struct WaitSettings {
  /// A burst of events ends after this long without another (an editor's save is several).
  std::chrono::milliseconds settle{150};
  /// A burst that goes on longer than this ends anyway (a file rewritten without a pause).
  std::chrono::milliseconds max_settle{2'000};
  /// When this descriptor becomes readable the wait ends with `stopped` (a signal's
  /// self-pipe); -1 = none.
  int stop_fd = -1;
  /// How long to wait for the first event; none = for ever.
  std::optional<std::chrono::milliseconds> timeout;
};

struct WaitResult {
  enum class Outcome { changed, stopped, timed_out };
  Outcome outcome = Outcome::timed_out;
  /// With `changed`: the watched files that changed, as given to watch(), in that order.
  std::vector<std::filesystem::path> changed;
};

/// Watches files with inotify through their directories, filtered by name: editors save by
/// writing a new file and renaming it over the old one, which a watch on the file itself
/// would lose. A file whose directory does not exist is watched through its nearest existing
/// ancestor, so creating the directory counts as a change. Events that arrive while nobody
/// waits are kept by the kernel and returned by the next wait().
class FileWatcher {
 public:
  /// Throws std::system_error when inotify is unavailable.
  FileWatcher();
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  /// From now on watch exactly `files` (replacing the previous set). A directory that cannot
  /// be watched (permissions, the inotify limit) is skipped and named in the result.
  std::vector<std::filesystem::path> watch(const std::vector<std::filesystem::path>& files);

  /// Waits for a change to a watched file, then for the burst to settle; a lost event queue
  /// or a removed directory counts as a change of the files it concerned.
  [[nodiscard]] WaitResult wait(const WaitSettings& settings);

 private:
  struct Directory {
    std::filesystem::path path;
    /// Entry name -> the watched files it stands for (a missing directory's name stands for
    /// every file below it).
    std::map<std::string, std::vector<std::filesystem::path>> names;
  };
  /// Reads every queued event; adds the watched files they concern to `changed`. True when
  /// any event concerned a watched file.
  bool drain(std::vector<std::filesystem::path>& changed);

  int m_fd = -1;
  std::unordered_map<int, Directory> m_directories;  ///< by watch descriptor
  std::vector<std::filesystem::path> m_files;
};

/// What one case ended as, for one variant and metric, over its repeats.
enum class CaseOutcome : std::uint8_t {
  none,    ///< not run
  pass,    ///< every result has a true pass flag
  fail,    ///< some result's pass flag is false, none without a score
  scored,  ///< scored, and the metric has no pass flag (latency, bleu...)
  error,   ///< some result has no score: its request, extraction or scorer failed
};
[[nodiscard]] const char* to_string(CaseOutcome outcome);

/// What the next run's changes are measured against: each variant's metric means and each
/// case's outcome per variant and metric. Filled from the cases as they reach the report
/// (add_case, through RunOptions::on_case) and the run's summary (set_summary). Holds a byte
/// per case, variant and metric plus each case id once.
class RunSnapshot {
 public:
  void add_case(const CaseRecord& record);
  void set_summary(const ReportSummary& summary);

  struct Mean {
    std::string variant;
    std::string metric;
    std::optional<double> mean;  ///< none when nothing was scored
  };
  [[nodiscard]] const std::vector<Mean>& means() const { return m_means; }
  [[nodiscard]] const std::vector<std::string>& case_ids() const { return m_case_ids; }
  /// Each case's outcome for a variant and metric, by position in case_ids() (shorter, or
  /// empty, where nothing is known: none).
  [[nodiscard]] const std::vector<CaseOutcome>& outcomes(const std::string& variant,
                                                         const std::string& metric) const;
  /// The position of `case_id` in case_ids(), if this run had it.
  [[nodiscard]] std::optional<std::size_t> position(const std::string& case_id) const;

 private:
  std::vector<Mean> m_means;
  std::vector<std::string> m_case_ids;
  std::unordered_map<std::string, std::size_t> m_positions;
  /// (variant, metric) -> an outcome per case position; until set_summary also (variant, "")
  /// -> the cases whose result failed before any metric ran.
  std::map<std::pair<std::string, std::string>, std::vector<CaseOutcome>> m_outcomes;
};

/// A case whose outcome differs between the two runs.
struct Flip {
  std::string case_id;
  CaseOutcome before = CaseOutcome::none;
  CaseOutcome now = CaseOutcome::none;
};

/// One variant and metric across two runs.
struct MetricChange {
  std::string variant;
  std::string metric;
  bool in_before = false;  ///< the variant and metric were in the previous run
  bool in_now = false;     ///< ... and are in this one
  std::optional<double> before;
  std::optional<double> now;
  /// Cases run both times whose outcome differs, in this run's case order.
  std::vector<Flip> flips;
};

/// Every variant and metric of `now` (in its order), then those only `before` had.
[[nodiscard]] std::vector<MetricChange> changes_between(const RunSnapshot& before,
                                                        const RunSnapshot& now);

/// "changes since the previous run:", a row per variant and metric (before, now, change)
/// and, below a row, its flipped cases grouped by transition ("fail -> pass (3): a, b, c"),
/// regressions first, at most `max_ids` ids a group then "and N more".
void print_changes(std::ostream& out, const std::vector<MetricChange>& changes,
                   std::size_t max_ids = 10);

}  // namespace promptbench
