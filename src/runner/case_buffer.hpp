// SPDX-License-Identifier: Apache-2.0
// The case buffer: cases in progress, and the reorder step that hands finished cases on in
// dataset order, whatever order their answers came in. It holds only the cases in flight.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "promptbench/case_result.hpp"
#include "promptbench/dataset.hpp"

namespace promptbench {

struct PendingCase {
  Case row;
  std::vector<std::optional<CaseResult>> results;  ///< per slot: variant x repeat
  std::size_t remaining = 0;                       ///< requests (model and judge) still to finish
};

class CaseBuffer {
 public:
  /// `sink` receives every case handed on, in dataset order (after flush_all, the
  /// unfinished ones in dataset order too).
  explicit CaseBuffer(std::function<void(CaseRecord)> sink) : m_sink(std::move(sink)) {}

  /// Starts case `index` with `slots` results to come, one request each. Cases open in
  /// increasing index order (with gaps in a shard).
  PendingCase& open(std::size_t index, Case row, std::size_t slots);
  [[nodiscard]] PendingCase& at(std::size_t index) { return m_pending.at(index); }
  /// Hands on the finished cases at the front of the dataset order.
  void flush_finished();
  /// For a stopped run: hands on every case with at least one result, keeping only the
  /// results that finished, so the report agrees with its statistics (a re-run completes
  /// the rest from the cache).
  void flush_all();
  [[nodiscard]] std::size_t size() const { return m_pending.size(); }

 private:
  void hand_on(std::size_t index, PendingCase& pending);

  std::function<void(CaseRecord)> m_sink;
  std::map<std::size_t, PendingCase> m_pending;  ///< by dataset index
};

}  // namespace promptbench
