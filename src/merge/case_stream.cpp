// SPDX-License-Identifier: Apache-2.0
#include "merge/case_stream.hpp"

namespace promptbench {

namespace {

/// Thrown inside the parse callback to end the reading early when the stream is destroyed.
struct Stopped {};

}  // namespace

CaseStream::CaseStream(const ReportSource& report) : m_reader([this, &report] { read(report); }) {}

CaseStream::~CaseStream() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_changed.notify_all();
  m_reader.join();
}

void CaseStream::read(const ReportSource& report) {
  try {
    report.for_each_record([this](CaseRecord&& record) {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [this] { return m_queue.size() < kCapacity || m_stopping; });
      if (m_stopping) {
        throw Stopped{};
      }
      m_queue.push_back(std::move(record));
      m_changed.notify_all();
    });
  } catch (const Stopped&) {
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_error = std::current_exception();
  }
  std::lock_guard lock(m_mutex);
  m_done = true;
  m_changed.notify_all();
}

std::optional<CaseRecord> CaseStream::next() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [this] { return !m_queue.empty() || m_done; });
  if (!m_queue.empty()) {
    CaseRecord record = std::move(m_queue.front());
    m_queue.pop_front();
    m_changed.notify_all();
    return record;
  }
  if (m_error) {
    std::rethrow_exception(m_error);
  }
  return std::nullopt;
}

}  // namespace promptbench
