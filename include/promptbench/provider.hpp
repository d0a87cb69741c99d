// SPDX-License-Identifier: Apache-2.0
// Providers turn a rendered prompt into an HTTP request, and a response body into
// a Completion. They do no I/O: the engine sends what they build.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "promptbench/config.hpp"
#include "promptbench/http.hpp"
#include "promptbench/prompt.hpp"

namespace promptbench {

struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
};

/// What a response cost in US dollars at `pricing`; nullopt when the response reported no
/// usage (a missing side of a partial usage counts as 0 tokens).
[[nodiscard]] std::optional<double> cost_usd(const Usage& usage, const Pricing& pricing);

struct Completion {
  /// The answer's text. When the answer carries tool calls, the JSON document
  /// {"content": <the text, or null>, "tool_calls": <tool_calls>} (see tool_calls_output).
  std::string text;
  Usage usage;
  std::string finish_reason;  ///< as the API says it: "stop", "end_turn", "tool_use", ...
  double latency_ms = 0;
  /// Streamed answers: from the request's start to the arrival of the first content
  /// (text or tool call), not the first byte.
  std::optional<double> ttft_ms;
  /// Null, or the tool calls in order: [{"id", "name", "arguments"}], arguments parsed
  /// JSON (kept as the string the model wrote when it is not valid JSON).
  nlohmann::json tool_calls;
};

/// The text of an answer with tool calls: {"content": <content or null>, "tool_calls": ...}
/// dumped compactly, so extraction (`json_pointer: /tool_calls/0/arguments/city`) and the
/// JSON metrics can score the calls.
[[nodiscard]] std::string tool_calls_output(const std::optional<std::string>& content,
                                            const nlohmann::json& tool_calls);

/// Builds requests for one configured endpoint and parses its answers. The base class does
/// what every provider type needs: it reads the API key, adds the configured `headers:`,
/// turns a non-2xx answer into an http_status error with the server's own message and
/// estimates a request's tokens for the rate limiter.
class Provider {
 public:
  /// Reads the API key from the environment variable `config.api_key_env` (when named),
  /// once. Throws UserError, located at the provider's entry, when that variable is unset
  /// or empty.
  explicit Provider(ProviderConfig config);
  virtual ~Provider() = default;

  [[nodiscard]] const ProviderConfig& config() const { return m_config; }

  /// The request for one prompt rendered for one case; `vars` is that case's row (an
  /// object). Implementations end with add_configured_headers().
  [[nodiscard]] virtual HttpRequest build_request(const RenderedPrompt& prompt,
                                                  const nlohmann::json& vars) const = 0;

  /// Any status: a non-2xx answer becomes an http_status error "HTTP <status>: <the
  /// server's message>"; a 2xx answer goes to parse_success().
  [[nodiscard]] tl::expected<Completion, RequestError> parse_response(
      const HttpResponse& response) const;

  /// The tokens `request` will cost, for the tokens-per-minute limit before any answer
  /// reports usage: a quarter of the body's bytes plus the `max_tokens` (and
  /// `max_completion_tokens`) of the provider's params.
  [[nodiscard]] virtual double estimate_tokens(const HttpRequest& request) const;

  /// Whether the engine retries an answer: 429 backs off; 408, 500, 502, 503 and 504 are
  /// retried; anything else is final. Types add their own (Anthropic's 529, an SSE `error`
  /// event in a 200 stream).
  [[nodiscard]] virtual RetryAdvice advise(const HttpResponse& response) const;

 protected:
  /// The completion in a 2xx answer; a body that does not parse becomes a bad_response
  /// error.
  [[nodiscard]] virtual tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const = 0;
  /// The server's own error text in a non-2xx body: `error.message` (OpenAI, Anthropic),
  /// `error` as a string, or `message`; else the start of the body.
  [[nodiscard]] virtual std::string server_error_message(const std::string& body) const;
  /// The key read from `api_key_env`; empty when the config names no variable.
  [[nodiscard]] const std::string& api_key() const { return m_api_key; }
  /// Appends the configured `headers:`; one replaces a header of the same name (in any
  /// case) that the provider set itself, so a gateway's own Authorization wins.
  void add_configured_headers(HttpRequest& request) const;

 private:
  ProviderConfig m_config;
  std::string m_api_key;
};

/// A bad type-specific provider option; the config loader turns it into a UserError
/// located at the option's key (`providers[0].foo`).
class OptionError : public std::runtime_error {
 public:
  OptionError(std::string key, const std::string& message)
      : std::runtime_error(message), m_key(std::move(key)) {}
  /// The offending option's name; empty for the options as a whole.
  [[nodiscard]] const std::string& key() const { return m_key; }

 private:
  std::string m_key;
};

/// The type-specific keys of a provider's entry: every key but kCommonProviderKeys, which
/// the config loader checks itself.
class ProviderOptions {
 public:
  explicit ProviderOptions(const nlohmann::json& options) : m_options(options) {}

  /// Throws OptionError "unknown key 'x' (did you mean 'y'?)" for a key outside `known`;
  /// the suggestion is drawn from `known` and the common keys.
  void allow_only(std::initializer_list<const char*> known) const;
  [[nodiscard]] const nlohmann::json& raw() const { return m_options; }

 private:
  const nlohmann::json& m_options;
};

struct ProviderInfo {
  const char* type;
  const char* description;
  std::unique_ptr<Provider> (*make)(const ProviderConfig& config);
  /// Checks the type's own options (ProviderConfig::options) when the config loads.
  /// Throws OptionError.
  void (*validate)(const ProviderOptions& options);
  /// Whether the entry must name a `model` (a custom JSON service may have none).
  bool needs_model = true;
  /// Whether build_request reads the case's variables beyond the rendered prompt (a
  /// templated body): the pre-flight pass then builds every case's request, so a variable
  /// a row lacks stops the run before anything is sent.
  bool reads_case_variables = false;
  /// The variable `api_key_env` names when the entry names none (anthropic:
  /// ANTHROPIC_API_KEY); set by the config loader, so the key is known, required and
  /// redacted like a named one. Null: no key unless the entry names one.
  const char* default_api_key_env = nullptr;
};

/// Every provider type, one line each in src/provider/registry.cpp.
[[nodiscard]] const std::vector<ProviderInfo>& provider_registry();

/// The registry entry for `type`: the one place that decides which types exist. Throws
/// OptionError (key "type") "unknown provider type 'x' (did you mean 'y'?)" otherwise.
[[nodiscard]] const ProviderInfo& provider_type(const std::string& type);

/// Creates the provider `config.type` names. Throws UserError for an unknown type or a
/// missing key variable.
[[nodiscard]] std::unique_ptr<Provider> make_provider(const ProviderConfig& config);

}  // namespace promptbench
