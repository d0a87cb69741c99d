// SPDX-License-Identifier: Apache-2.0
// A report's cases pulled one at a time. Reports are read by a parse callback that pushes
// every case; merging several in dataset order needs to pull from each in turn, so each
// report is read on its own thread into a small bounded queue.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "promptbench/case_result.hpp"
#include "promptbench/report_formats.hpp"

namespace promptbench {

class CaseStream {
 public:
  /// Starts reading `report`'s cases; `report` must outlive the stream.
  explicit CaseStream(const ReportSource& report);
  /// Stops the reader (it may be blocked on a full queue) and joins it.
  ~CaseStream();
  CaseStream(const CaseStream&) = delete;
  CaseStream& operator=(const CaseStream&) = delete;

  /// The next case; nullopt at the end. Rethrows what the reader threw (a malformed case:
  /// UserError naming the report and the field).
  std::optional<CaseRecord> next();

 private:
  void read(const ReportSource& report);

  static constexpr std::size_t kCapacity = 64;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<CaseRecord> m_queue;
  bool m_done = false;
  bool m_stopping = false;
  std::exception_ptr m_error;
  std::thread m_reader;  ///< last: started once everything above exists
};

}  // namespace promptbench
