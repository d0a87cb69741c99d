// SPDX-License-Identifier: Apache-2.0
#include "runner/case_buffer.hpp"

#include <algorithm>

namespace promptbench {

PendingCase& CaseBuffer::open(std::size_t index, Case row, std::size_t slots) {
  PendingCase& pending = m_pending[index];
  pending.row = std::move(row);
  pending.results.resize(slots);
  pending.remaining = slots;
  return pending;
}

void CaseBuffer::hand_on(std::size_t index, PendingCase& pending) {
  CaseRecord record;
  record.index = index;
  record.id = std::move(pending.row.id);
  record.vars = std::move(pending.row.vars);
  record.reference = std::move(pending.row.reference);
  record.results.reserve(pending.results.size());
  for (std::optional<CaseResult>& result : pending.results) {
    if (result) {
      record.results.push_back(std::move(*result));
    }
  }
  m_sink(std::move(record));
}

void CaseBuffer::flush_finished() {
  // Cases open in dataset order, so the first pending one is the next to hand on (a shard's
  // indices have gaps: the other shards' cases).
  while (!m_pending.empty() && m_pending.begin()->second.remaining == 0) {
    hand_on(m_pending.begin()->first, m_pending.begin()->second);
    m_pending.erase(m_pending.begin());
  }
}

void CaseBuffer::flush_all() {
  for (auto& [index, pending] : m_pending) {
    const bool any = std::any_of(pending.results.begin(), pending.results.end(),
                                 [](const auto& result) { return result.has_value(); });
    if (any) {
      hand_on(index, pending);
    }
  }
  m_pending.clear();
}

}  // namespace promptbench
