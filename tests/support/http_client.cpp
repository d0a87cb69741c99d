// SPDX-License-Identifier: Apache-2.0
// A minimal HTTP/1.0 client over a raw socket to 127.0.0.1, for the test harness and the
// benchmarks: no library in between, so the stub sees exactly the bytes written here.
#include "support/http_client.hpp"
#include "support/posix.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace promptbench::testing {

// ---------------------------------------------------------------------------------------------
// HTTP over a raw socket
// ---------------------------------------------------------------------------------------------

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Decodes a chunked body; returns the input unchanged if it is not well-formed chunking.
std::string decode_chunked(const std::string& body) {
  std::string decoded;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string::npos) {
      return body;
    }
    std::size_t size = 0;
    try {
      size = std::stoul(body.substr(pos, line_end - pos), nullptr, 16);
    } catch (const std::exception&) {
      return body;
    }
    if (size == 0) {
      return decoded;
    }
    if (line_end + 2 + size > body.size()) {
      return body;
    }
    decoded.append(body, line_end + 2, size);
    pos = line_end + 2 + size + 2;
  }
}

class Socket {
 public:
  Socket() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (m_fd < 0) {
      throw system_failure("socket", errno);
    }
  }
  ~Socket() { ::close(m_fd); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

std::optional<std::string> HttpResponse::header(const std::string& name) const {
  const std::string wanted = lowercase(name);
  for (const auto& [key, value] : headers) {
    if (lowercase(key) == wanted) {
      return value;
    }
  }
  return std::nullopt;
}

HttpResponse http_request(int port, const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  Socket socket;
  timeval timeout{30, 0};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw system_failure("connect to 127.0.0.1:" + std::to_string(port), errno);
  }
  std::string request = method + " " + target +
                        " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  if (!body.empty() || method == "POST") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n =
        ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      throw system_failure("send to 127.0.0.1:" + std::to_string(port), errno);
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string raw;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      break;
    } else if (errno != EINTR) {
      throw system_failure("recv from 127.0.0.1:" + std::to_string(port), errno);
    }
  }

  HttpResponse response;
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    return response;
  }
  std::stringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  std::smatch match;
  if (std::regex_search(line, match, std::regex(R"(^HTTP/\d\.\d (\d{3}))"))) {
    response.status = std::stoi(match[1]);
  }
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      const std::size_t value_start = line.find_first_not_of(' ', colon + 1);
      response.headers.emplace_back(
          line.substr(0, colon), value_start == std::string::npos ? "" : line.substr(value_start));
    }
  }
  response.body = raw.substr(head_end + 4);
  if (lowercase(response.header("Transfer-Encoding").value_or("")) == "chunked") {
    response.body = decode_chunked(response.body);
  }
  return response;
}

}  // namespace promptbench::testing
