// SPDX-License-Identifier: Apache-2.0
// libcurl's multi handle driven by its socket interface over epoll: libcurl says which
// sockets it waits on and when its next timeout is due; a turn hands it only the sockets
// that are ready, so its cost follows activity, not the number of transfers in flight
// (curl_multi_perform walks every transfer on every turn).
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <curl/curl.h>

namespace promptbench {

class CurlEvents {
 public:
  using Clock = std::chrono::steady_clock;

  /// Installs the socket and timer callbacks on `multi`, which must outlive this object's
  /// use but may be cleaned up before it is destroyed (curl_multi_cleanup still calls back).
  explicit CurlEvents(CURLM* multi);
  ~CurlEvents();
  CurlEvents(const CurlEvents&) = delete;
  CurlEvents& operator=(const CurlEvents&) = delete;

  /// Waits at most `max_wait`, cut short by libcurl's next timeout, for sockets to become
  /// ready, hands each ready one to libcurl, then runs the timeouts that fell due. A signal
  /// ends the wait early (the caller looks at what it asked for).
  void wait_and_run(std::chrono::milliseconds max_wait);

  /// Sockets libcurl has asked to watch (for tests and diagnostics).
  [[nodiscard]] std::size_t watched() const { return m_watched; }

 private:
  /// Runs libcurl's timeouts if they are due: starts added transfers, ends timed-out ones.
  void run_due_timer();
  static int on_socket(CURL* easy, curl_socket_t socket, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void watch(curl_socket_t socket, int what, bool known);
  void forget(curl_socket_t socket);
  void set_timer(long timeout_ms);
  /// curl_multi_socket_action, then the failure a callback could not throw.
  void act(curl_socket_t socket, int readiness);
  [[nodiscard]] std::chrono::milliseconds timer_wait(std::chrono::milliseconds max_wait) const;

  CURLM* m_multi;
  int m_epoll = -1;
  std::vector<epoll_event> m_ready;
  std::optional<Clock::time_point> m_timer;  ///< libcurl's next timeout, none when unset
  bool m_timer_changed = false;              ///< on_timer ran since the flag was cleared
  std::size_t m_watched = 0;
  std::string m_failure;  ///< an epoll error met inside a callback, thrown after it
};

}  // namespace promptbench
