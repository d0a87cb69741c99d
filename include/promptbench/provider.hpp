// SPDX-License-Identifier: Apache-2.0
// Providers turn a rendered prompt into an HTTP request, and a response body into
// a Completion. They do no I/O: the engine sends what they build.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "promptbench/config.hpp"
#include "promptbench/prompt.hpp"

namespace promptbench {

struct HttpHeader {
  std::string name;
  std::string value;
  bool secret = false;  ///< carries a credential: never logged, never part of a cache key
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  ///< names lower-cased
  std::string body;
  double latency_ms = 0;          ///< request start to last byte
  std::optional<double> ttft_ms;  ///< request start to first body byte

  /// The first header with this (lower-case) name, if any.
  [[nodiscard]] const std::string* header(const std::string& name) const;
};

/// Why a request produced no completion. Recorded on the case; never fatal to the run.
enum class ErrorKind { network, timeout, http_status, bad_response, too_large, cancelled };
[[nodiscard]] const char* to_string(ErrorKind kind);

struct RequestError {
  ErrorKind kind = ErrorKind::network;
  int http_status = 0;         ///< for http_status
  std::string message;         ///< the server's own error message where it gave one
  bool no_connection = false;  ///< network: no connection could be made (refused, no host)
};

struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
};

/// What a response cost in US dollars at `pricing`; nullopt when the response reported no
/// usage (a missing side of a partial usage counts as 0 tokens).
[[nodiscard]] std::optional<double> cost_usd(const Usage& usage, const Pricing& pricing);

struct Completion {
  std::string text;
  Usage usage;
  std::string finish_reason;
  double latency_ms = 0;
  std::optional<double> ttft_ms;
};

/// Builds requests for one configured endpoint and parses its answers.
class Provider {
 public:
  explicit Provider(ProviderConfig config) : m_config(std::move(config)) {}
  virtual ~Provider() = default;

  [[nodiscard]] const ProviderConfig& config() const { return m_config; }

  [[nodiscard]] virtual HttpRequest build_request(const RenderedPrompt& prompt) const = 0;
  /// Any status: a non-2xx answer becomes an http_status error carrying the server's
  /// message; a 2xx body that does not parse becomes a bad_response error.
  [[nodiscard]] virtual tl::expected<Completion, RequestError> parse_response(
      const HttpResponse& response) const = 0;

 private:
  ProviderConfig m_config;
};

struct ProviderInfo {
  const char* type;
  const char* description;
  std::unique_ptr<Provider> (*make)(const ProviderConfig& config);
};

/// Every provider type, one line each in src/provider/registry.cpp.
[[nodiscard]] const std::vector<ProviderInfo>& provider_registry();

/// Creates the provider `config.type` names. The API key is read from the environment
/// variable `config.api_key_env` here, once. Throws UserError for an unknown type or a
/// missing key variable.
[[nodiscard]] std::unique_ptr<Provider> make_provider(const ProviderConfig& config);

}  // namespace promptbench
