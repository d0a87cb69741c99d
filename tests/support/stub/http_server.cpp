// SPDX-License-Identifier: Apache-2.0
// Dropping a connection from inside an httplib 0.11 handler.
#include "http_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>

namespace promptbench::stub {

namespace {

int socket_port(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return -1;
}

}  // namespace

// httplib 0.11 gives handlers no access to the connection's socket, so find it: the only
// connected socket in this process whose peer port and local port match the request's is the
// one this handler runs on (it stays open until the handler returns, so the fd cannot be
// reused meanwhile). shutdown() sends a FIN before any byte of a response; httplib's own write
// then fails and it closes the socket, so the client sees "empty reply from server".
bool drop_connection(const httplib::Request& req) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage peer{};
    sockaddr_storage local{};
    socklen_t peer_length = sizeof(peer);
    socklen_t local_length = sizeof(local);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
      continue;
    }
    if (socket_port(peer) == req.remote_port && socket_port(local) == req.local_port) {
      return ::shutdown(fd, SHUT_RDWR) == 0;
    }
  }
  return false;
}

}  // namespace promptbench::stub
