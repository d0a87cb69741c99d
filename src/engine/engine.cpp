// SPDX-License-Identifier: Apache-2.0
// The request engine: per-provider queues drained round-robin into the transport within
// the concurrency limits.
#include "promptbench/engine.hpp"

#include <algorithm>

namespace promptbench {

Engine::Engine(Transport& transport, std::vector<int> provider_limits, int global_limit)
    : m_transport(transport),
      m_limits(std::move(provider_limits)),
      m_global_limit(std::max(1, global_limit)),
      m_queues(m_limits.size()),
      m_running_per_provider(m_limits.size(), 0) {}

bool Engine::wants_more() const {
  // Keep enough queued that every free slot can be filled at once, and no more: the
  // queue holds rendered request bodies, so it is what bounds memory.
  return m_queued < static_cast<std::size_t>(m_global_limit) * 2;
}

void Engine::submit(EngineJob job) {
  const std::size_t provider = job.provider;
  m_queues.at(provider).push_back(std::move(job));
  ++m_queued;
}

void Engine::dispatch() {
  const std::size_t providers = m_queues.size();
  bool started = true;
  while (started && m_in_flight.size() < static_cast<std::size_t>(m_global_limit)) {
    started = false;
    for (std::size_t k = 0; k < providers; ++k) {
      const std::size_t p = (m_next_queue + k) % providers;
      if (m_queues[p].empty() || m_running_per_provider[p] >= m_limits[p] ||
          m_in_flight.size() >= static_cast<std::size_t>(m_global_limit)) {
        continue;
      }
      EngineJob job = std::move(m_queues[p].front());
      m_queues[p].pop_front();
      --m_queued;
      const TransferId id = m_next_id++;
      m_transport.start(id, job.request, job.options);
      m_in_flight.emplace(id, Running{job.tag, p});
      ++m_running_per_provider[p];
      started = true;
    }
    m_next_queue = (m_next_queue + 1) % std::max<std::size_t>(1, providers);
  }
}

std::vector<EngineResult> Engine::step(std::chrono::milliseconds max_wait) {
  dispatch();
  std::vector<EngineResult> results;
  if (m_in_flight.empty()) {
    return results;
  }
  for (FinishedTransfer& finished : m_transport.poll(max_wait)) {
    const auto it = m_in_flight.find(finished.id);
    if (it == m_in_flight.end()) {
      continue;  // not ours (cannot happen with one engine per transport)
    }
    const Running running = it->second;
    m_in_flight.erase(it);
    --m_running_per_provider[running.provider];
    results.push_back({running.tag, running.provider, std::move(finished.result), 1});
  }
  dispatch();
  return results;
}

void Engine::drop_queued() {
  for (auto& queue : m_queues) {
    queue.clear();
  }
  m_queued = 0;
}

void Engine::cancel_in_flight() { m_transport.cancel_all(); }

}  // namespace promptbench
