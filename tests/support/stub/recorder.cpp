// SPDX-License-Identifier: Apache-2.0
// Appends each request to the --record-requests file as one JSON line.
#include "recorder.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace promptbench::stub {

using nlohmann::json;

namespace {

std::string lowercase_header(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// httplib adds the peer's and its own address to Request::headers; no client sent those.
bool pseudo_header(const std::string& lower_name) {
  return lower_name == "remote_addr" || lower_name == "remote_port" || lower_name == "local_addr" ||
         lower_name == "local_port";
}

}  // namespace

RequestRecorder::RequestRecorder(const std::string& path)
    : m_out(path, std::ios::binary | std::ios::app) {
  if (!m_out) {
    throw std::runtime_error("cannot open " + path + " for appending");
  }
}

void RequestRecorder::record(const httplib::Request& req) {
  json headers = json::object();
  for (const auto& [name, value] : req.headers) {
    const std::string lower = lowercase_header(name);
    if (pseudo_header(lower)) {
      continue;
    }
    if (headers.contains(lower)) {
      headers[lower] = headers[lower].get<std::string>() + ", " + value;
    } else {
      headers[lower] = value;
    }
  }
  const json line = {
      {"method", req.method}, {"path", req.path}, {"headers", headers}, {"body", req.body}};
  const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::lock_guard lock(m_mutex);
  m_out << text;
  m_out.flush();
}

}  // namespace promptbench::stub
