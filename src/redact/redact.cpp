// SPDX-License-Identifier: Apache-2.0
// The process-wide list of secret values and the redaction every sink applies.
#include "promptbench/redact.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

namespace promptbench {

namespace {

struct SecretList {
  std::mutex mutex;
  std::vector<std::string> values;  ///< longest first, so a secret inside another goes too
};

SecretList& secret_list() {
  static SecretList list;
  return list;
}

void replace_all(std::string& text, const std::string& secret, std::size_t from) {
  std::size_t at = from;
  while ((at = text.find(secret, at)) != std::string::npos) {
    text.replace(at, secret.size(), kRedacted);
    at += kRedacted.size();
  }
}

/// Characters that end a URL's authority (host part) in free text.
bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' ||
         c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == ',' || c == ')';
}

/// "scheme://user:password@host" -> "scheme://<redacted>@host", wherever a URL occurs.
void redact_url_credentials(std::string& text, std::size_t from) {
  std::size_t at = from;
  while ((at = text.find("://", at)) != std::string::npos) {
    const std::size_t start = at + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) {
      ++end;
    }
    const std::size_t sign = text.rfind('@', end == 0 ? 0 : end - 1);
    if (sign != std::string::npos && sign >= start && sign < end &&
        text.compare(start, sign - start, kRedacted) != 0) {
      text.replace(start, sign - start, kRedacted);
      end = start + kRedacted.size() + 1;
    }
    at = end;
  }
}

}  // namespace

void add_secret(std::string_view value) {
  if (value.size() < kMinSecretLength) {
    return;
  }
  std::string escaped = nlohmann::json(std::string(value))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  escaped = escaped.substr(1, escaped.size() - 2);  // without the quotes
  SecretList& list = secret_list();
  const std::lock_guard<std::mutex> lock(list.mutex);
  for (std::string candidate : {std::string(value), std::move(escaped)}) {
    if (std::find(list.values.begin(), list.values.end(), candidate) == list.values.end()) {
      list.values.push_back(std::move(candidate));
    }
  }
  std::sort(list.values.begin(), list.values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out(text);
  redact_in_place(out);
  return out;
}

void redact_in_place(std::string& text, std::size_t from) {
  {
    SecretList& list = secret_list();
    const std::lock_guard<std::mutex> lock(list.mutex);
    for (const std::string& secret : list.values) {
      replace_all(text, secret, from);
    }
  }
  redact_url_credentials(text, from);
}

void clear_secrets() {
  SecretList& list = secret_list();
  const std::lock_guard<std::mutex> lock(list.mutex);
  list.values.clear();
}

}  // namespace promptbench
