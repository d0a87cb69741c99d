// SPDX-License-Identifier: Apache-2.0
// The run lifecycle: feed cases to the broker while it wants more, hand each reply to
// scoring, pass finished cases to the report and the summary, stop on an interrupt, on too
// many errors or on an unreachable endpoint, and summarise at the end.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "promptbench/cache.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/summary.hpp"
#include "provider/providers/recorded.hpp"
#include "report/report_writer.hpp"
#include "runner/broker.hpp"
#include "runner/case_buffer.hpp"
#include "runner/plan.hpp"
#include "runner/scoring.hpp"

namespace promptbench {

/// cache_error: the cache could not be read or written (docs/FAULTS.md); report_error: a
/// case could not be written to the report's spool (the report cannot be complete).
enum class StopReason { none, interrupted, max_errors, unreachable, cache_error, report_error };
/// The report's spelling: "interrupted", "max_errors", "unreachable", "cache_error",
/// "report_error"; "" for none.
[[nodiscard]] const char* to_string(StopReason reason);

class Run {
 public:
  /// `rows`: what the pre-flight pass counted: the dataset's rows to read and, of them, the
  /// selected cases, and of those the shard's, to run.
  Run(const Config& config, const RunOptions& options, Transport& transport, Pipeline pipeline,
      const Preflight& rows);

  /// Runs to the end (or to a stop) and returns the summary; the report is not written yet.
  [[nodiscard]] ReportSummary execute(const std::function<void(const Progress&)>& on_progress);
  /// Throws UserError naming the file when the report cannot be written, saying where the
  /// answers received are (the cache).
  void write_report(const ReportSummary& summary);
  /// After the report is written: an endpoint that refused every connection is the
  /// config's problem, reported at its base_url.
  void throw_if_unreachable() const;

 private:
  void stop(StopReason reason, bool cancel_now);
  void check_interrupts();
  /// Stops the run when the cache or the report's spool failed (docs/FAULTS.md).
  void check_file_faults();
  void feed();
  /// Whether this run takes the case: selected, and in the shard.
  [[nodiscard]] bool runs(const std::string& case_id) const;
  void submit_case(std::size_t index, PendingCase& pending);
  void handle(Reply& reply);
  void handle_model_reply(Reply& reply);
  void handle_judge_reply(Reply& reply);
  /// Answers the results of recorded variants queued by feed(); returns how many.
  std::size_t answer_locally();
  void handle_recorded(const Ticket& ticket);
  /// The end of a variant's result, answered by a model or from a recorded file: an answer
  /// (non-null) is scored and its judge requests sent; either way its request is done.
  void finish_result(const Ticket& ticket, const ResultPlace& place, CaseResult& result,
                     const Completion* completion);
  void leave_out_latency(CaseResult& result) const;
  void send_judge_requests(std::size_t index, std::size_t slot, std::vector<JudgeRequest> requests);
  void note_attempts(CaseResult& result, const Reply& reply);
  void report_progress();
  void check_error_allowance();
  void hand_on(CaseRecord record);
  [[nodiscard]] ReportSummary summarize(const std::string& started_at) const;

  const Config& m_config;
  const RunOptions& m_options;
  Clock& m_clock;
  Pipeline m_pipeline;
  std::size_t m_dataset_rows;    ///< rows read (the first `limit`)
  std::size_t m_total_cases;     ///< of them, the selection's in the shard
  std::size_t m_selected_cases;  ///< of the rows, the selection's (all shards)
  std::shared_ptr<const CaseSelector> m_selector;
  std::size_t m_repeat;
  std::size_t m_slots;  ///< results per case: variants x repeat
  SummaryAccumulator m_summary;
  ConcurrencyPlan m_concurrency;
  CaseReader m_rows;
  std::unique_ptr<ResponseCache> m_cache;
  RequestBroker m_broker;
  /// Created last: its spool file appearing means the run is about to send requests.
  ReportWriter m_report;
  CaseBuffer m_cases;
  RunErrors m_errors;
  Scorer m_scorer;
  bool m_abort_on_errors = false;  ///< max_errors was set: stop as soon as it is exceeded
  std::size_t m_next_index = 0;    ///< the next row's position in the dataset
  bool m_exhausted = false;
  Progress m_progress;
  std::function<void(const Progress&)> m_on_progress;
  StopReason m_stop = StopReason::none;
  Clock::time_point m_grace_deadline{};
  bool m_cancelled = false;
  /// Per variant: the outputs of its provider when it is `recorded` (its results are answered
  /// here, never sent), else null.
  std::vector<const providers::RecordedOutputs*> m_recorded;
  /// Results of recorded variants waiting to be answered. feed() stops reading cases when it
  /// holds kMaxLocalAnswers, since local answers never fill the broker: without the bound a
  /// recorded run would read the whole dataset into the case buffer before handing any on.
  std::deque<Ticket> m_local;
};

}  // namespace promptbench
