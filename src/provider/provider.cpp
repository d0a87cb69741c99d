// SPDX-License-Identifier: Apache-2.0
// What every provider type shares: the API key, the configured headers, the server's error
// message on a non-2xx answer, the token estimate, and the check of the type's own options.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "promptbench/provider.hpp"
#include "promptbench/redact.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

/// The key is read once, when the provider is made, so a missing variable stops the run
/// before anything is sent rather than failing every request.
std::string read_api_key(const ProviderConfig& config) {
  if (config.api_key_env.empty()) {
    return {};
  }
  const char* key = std::getenv(config.api_key_env.c_str());
  if (key == nullptr || *key == '\0') {
    throw UserError(config.where, config.field.empty() ? "" : config.field + ".api_key_env",
                    fmt::format("provider '{}': environment variable '{}' (api_key_env) is not set",
                                config.id, config.api_key_env));
  }
  // A type's default variable (anthropic's ANTHROPIC_API_KEY) is not named in the config,
  // so the loader has not registered it: every key read is a secret from here on.
  add_secret(key);
  return key;
}

/// Header names are case-insensitive (RFC 9110 5.1).
bool same_header_name(const std::string& a, const std::string& b) {
  return util::lower(a) == util::lower(b);
}

}  // namespace

Provider::Provider(ProviderConfig config)
    : m_config(std::move(config)), m_api_key(read_api_key(m_config)) {}

tl::expected<Completion, RequestError> Provider::parse_response(
    const HttpResponse& response) const {
  if (response.status < 200 || response.status >= 300) {
    return tl::unexpected(RequestError{
        ErrorKind::http_status, response.status,
        fmt::format("HTTP {}: {}", response.status, server_error_message(response.body))});
  }
  return parse_success(response);
}

double Provider::estimate_tokens(const HttpRequest& request) const {
  // About four bytes of English per token; the answer can be as long as the cap allows.
  double tokens = static_cast<double>(request.body.size()) / 4.0;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (m_config.params.contains(key) && m_config.params[key].is_number()) {
      tokens += m_config.params[key].get<double>();
    }
  }
  return tokens;
}

RetryAdvice Provider::advise(const HttpResponse& response) const {
  return advice_for_status(response.status);
}

std::string tool_calls_output(const std::optional<std::string>& content,
                              const nlohmann::json& tool_calls) {
  nlohmann::ordered_json document;
  document["content"] = content ? nlohmann::ordered_json(*content) : nlohmann::ordered_json();
  document["tool_calls"] = tool_calls;
  return document.dump();
}

std::string Provider::server_error_message(const std::string& body) const {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    if (auto error = parsed.find("error"); error != parsed.end()) {
      if (error->is_string()) {
        return error->get<std::string>();
      }
      if (error->is_object() && error->contains("message") && (*error)["message"].is_string()) {
        return (*error)["message"].get<std::string>();
      }
    }
    if (auto message = parsed.find("message"); message != parsed.end() && message->is_string()) {
      return message->get<std::string>();
    }
  }
  constexpr std::size_t kMaxShown = 200;
  return body.size() <= kMaxShown ? body : body.substr(0, kMaxShown) + "...";
}

void Provider::add_configured_headers(HttpRequest& request) const {
  for (const HttpHeader& header : m_config.headers) {
    std::erase_if(request.headers,
                  [&](const HttpHeader& own) { return same_header_name(own.name, header.name); });
    request.headers.push_back(header);
  }
}

void ProviderOptions::allow_only(std::initializer_list<const char*> known) const {
  if (!m_options.is_object()) {
    return;
  }
  std::vector<std::string> allowed(known.begin(), known.end());
  for (const auto& [key, value] : m_options.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
      continue;
    }
    // A misspelt common key (timeuot) lands here too: suggest from both lists.
    std::vector<std::string> candidates = allowed;
    candidates.insert(candidates.end(), kCommonProviderKeys.begin(), kCommonProviderKeys.end());
    throw OptionError(key,
                      fmt::format("unknown key '{}'{}", key, util::did_you_mean(key, candidates)));
  }
}

}  // namespace promptbench
