// SPDX-License-Identifier: Apache-2.0
// The HTTP plumbing under promptbench-stub: an elastic thread pool (one thread per open
// connection), a server whose listen backlog can be raised, and dropping a connection.
#pragma once

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace promptbench::stub {

// httplib runs each connection, keep-alive idle time included, on one pool thread. A fixed pool
// smaller than the number of open connections would queue whole connections behind each other,
// so this pool starts `initial` threads and adds one whenever a job finds no idle thread.
class ElasticThreadPool final : public httplib::TaskQueue {
 public:
  ElasticThreadPool(std::size_t initial, std::size_t max) : m_max(std::max(initial, max)) {
    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < initial; ++i) {
      spawn_locked();
    }
  }
  ~ElasticThreadPool() override { shutdown(); }
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  void enqueue(std::function<void()> job) override {
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(job));
    if (m_jobs.size() > m_idle && m_threads.size() < m_max) {
      spawn_locked();
    }
    m_cond.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(m_mutex);
      if (m_shutdown) {
        return;
      }
      m_shutdown = true;
    }
    m_cond.notify_all();
    for (auto& thread : m_threads) {
      thread.join();
    }
  }

 private:
  // A new thread counts as idle from birth so that enqueue() does not over-spawn.
  void spawn_locked() {
    ++m_idle;
    m_threads.emplace_back([this] { work(); });
  }

  void work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_cond.wait(lock, [this] { return !m_jobs.empty() || m_shutdown; });
      if (m_jobs.empty()) {
        return;  // shutting down and drained
      }
      auto job = std::move(m_jobs.front());
      m_jobs.pop_front();
      --m_idle;
      lock.unlock();
      job();
      lock.lock();
      ++m_idle;
    }
  }

  std::size_t m_max;
  std::mutex m_mutex;
  std::condition_variable m_cond;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  std::size_t m_idle = 0;
  bool m_shutdown = false;
};

// httplib 0.11 hard-codes listen(fd, 5); a burst of hundreds of connects would overflow that
// queue and the kernel would drop SYNs (clients retry after 1 s). Linux lets a second listen()
// on the same socket raise the backlog; svr_sock_ is protected, hence this subclass.
class StubHttpServer final : public httplib::Server {
 public:
  bool raise_backlog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

// Closes the connection `req` arrived on before any byte of a response (see the .cpp for how);
// false if its socket cannot be found.
bool drop_connection(const httplib::Request& req);

}  // namespace promptbench::stub
