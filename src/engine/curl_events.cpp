// SPDX-License-Identifier: Apache-2.0
#include "engine/curl_events.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace promptbench {

namespace {

/// Ready sockets taken per wait; more stay ready (level-triggered) for the next turn.
constexpr std::size_t kReadyPerWait = 256;

std::runtime_error system_error(const char* what) {
  return std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

/// What epoll saw, as libcurl's readiness bits. An error or a hang-up marks the socket both
/// readable and writable: libcurl then tries what it was waiting for and reports the
/// socket's own error ("Connection reset by peer", "Empty reply from server"), where
/// CURL_CSELECT_ERR alone would only say that poll returned an error.
int curl_readiness(std::uint32_t events) {
  int bits = 0;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
    bits |= CURL_CSELECT_IN;
  }
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    bits |= CURL_CSELECT_OUT;
  }
  return bits;
}

}  // namespace

CurlEvents::CurlEvents(CURLM* multi) : m_multi(multi), m_ready(kReadyPerWait) {
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (m_epoll < 0) {
    throw system_error("cannot create an epoll instance");
  }
  curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &CurlEvents::on_socket);
  curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &CurlEvents::on_timer);
  curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
}

CurlEvents::~CurlEvents() {
  ::close(m_epoll);
}

int CurlEvents::on_socket(CURL* /*easy*/, curl_socket_t socket, int what, void* self,
                          void* socket_data) {
  auto* events = static_cast<CurlEvents*>(self);
  if (what == CURL_POLL_REMOVE) {
    events->forget(socket);
    events->m_watched -= socket_data != nullptr ? 1 : 0;
  } else {
    events->watch(socket, what, socket_data != nullptr);
  }
  return 0;
}

int CurlEvents::on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
  static_cast<CurlEvents*>(self)->set_timer(timeout_ms);
  return 0;
}

/// `known`: libcurl already carries our mark for this socket (curl_multi_assign), so it is
/// in the epoll set. A socket libcurl forgets is closed after CURL_POLL_REMOVE, so a new
/// socket with a reused number arrives unmarked.
void CurlEvents::watch(curl_socket_t socket, int what, bool known) {
  epoll_event event{};
  event.events =
      ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
  event.data.fd = socket;
  const int op = known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(m_epoll, op, socket, &event) != 0) {
    // Out of step with the epoll set (a socket closed and its number reused): the other
    // operation is the right one.
    const int other = errno == EEXIST ? EPOLL_CTL_MOD : errno == ENOENT ? EPOLL_CTL_ADD : -1;
    if ((other < 0 || ::epoll_ctl(m_epoll, other, socket, &event) != 0) && m_failure.empty()) {
      // Not thrown from here: the exception would cross libcurl's C frames.
      m_failure = std::string("cannot watch a connection's socket: ") + std::strerror(errno);
    }
  }
  if (!known) {
    curl_multi_assign(m_multi, socket, this);
    ++m_watched;
  }
}

void CurlEvents::forget(curl_socket_t socket) {
  // Fails only for a socket already closed, which left the set by itself.
  (void)::epoll_ctl(m_epoll, EPOLL_CTL_DEL, socket, nullptr);
}

void CurlEvents::set_timer(long timeout_ms) {
  m_timer_changed = true;
  if (timeout_ms < 0) {
    m_timer.reset();
  } else {
    m_timer = Clock::now() + std::chrono::milliseconds(timeout_ms);
  }
}

void CurlEvents::run_due_timer() {
  if (!m_timer || *m_timer > Clock::now()) {
    return;
  }
  m_timer.reset();
  m_timer_changed = false;
  act(CURL_SOCKET_TIMEOUT, 0);
  if (!m_timer_changed) {
    // libcurl calls back only when its earliest timeout changes. If it fired a moment early
    // (the callback's milliseconds are rounded down) nothing expired and nothing changed:
    // ask again, or that timeout would never run.
    long timeout_ms = -1;
    curl_multi_timeout(m_multi, &timeout_ms);
    set_timer(timeout_ms);
  }
}

std::chrono::milliseconds CurlEvents::timer_wait(std::chrono::milliseconds max_wait) const {
  if (!m_timer) {
    return max_wait;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*m_timer - Clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), max_wait);
}

void CurlEvents::wait_and_run(std::chrono::milliseconds max_wait) {
  const int wait_ms = static_cast<int>(timer_wait(max_wait).count());
  const int ready =
      ::epoll_wait(m_epoll, m_ready.data(), static_cast<int>(m_ready.size()), wait_ms);
  if (ready < 0) {
    if (errno == EINTR) {
      return;  // a signal (Ctrl-C): the run loop looks at it before waiting again
    }
    throw system_error("cannot wait for the connections");
  }
  for (int i = 0; i < ready; ++i) {
    // A socket closed by an earlier call of this loop is unknown to libcurl, which ignores
    // it; one whose number was reused meanwhile gets a wrong hint, which libcurl survives
    // (it reads or writes, gets EAGAIN, waits again).
    act(m_ready[i].data.fd, curl_readiness(m_ready[i].events));
  }
  run_due_timer();
}

void CurlEvents::act(curl_socket_t socket, int readiness) {
  int running = 0;
  curl_multi_socket_action(m_multi, socket, readiness, &running);
  if (!m_failure.empty()) {
    throw std::runtime_error(std::exchange(m_failure, {}));
  }
}

}  // namespace promptbench
