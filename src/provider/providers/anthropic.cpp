// SPDX-License-Identifier: Apache-2.0
// Provider `anthropic`: the Messages API, POST {base_url}/messages (base_url defaults to
// https://api.anthropic.com/v1).
//
// The key: the API refuses requests without one, so `api_key_env` defaults to
// ANTHROPIC_API_KEY (the registry's default_api_key_env, applied by the config loader), and
// like any named variable it must be set. The loader refuses `api_key_env: ""`, so an entry
// cannot opt out: a local stand-in that wants no key still needs some variable set.
//
// Options: `stream` and `idle_timeout` as for `openai`; `anthropic_version` (the
// anthropic-version header, default "2023-06-01"); `max_tokens` (a positive integer). The
// API requires max_tokens: `params.max_tokens` wins, then the option, then
// kDefaultMaxTokens (4096), which `promptbench render` shows since it prints the body.
//
// The rendered prompt's system messages, in order and joined with a blank line, become the
// top-level `system` (the API has no system role); the others are `messages`, as they are.
#include <map>

#include <fmt/format.h>

#include "provider/answer.hpp"
#include "provider/body_frame.hpp"
#include "provider/providers/providers.hpp"
#include "provider/sse.hpp"
#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/json_writer.hpp"

namespace promptbench::providers {

namespace {

constexpr const char* kAnthropicBaseUrl = "https://api.anthropic.com/v1";
constexpr const char* kDefaultVersion = "2023-06-01";
constexpr std::int64_t kDefaultMaxTokens = 4096;

/// The type's own options, read once by both the option check and the provider.
struct AnthropicOptions {
  StreamOptions stream;
  std::string version = kDefaultVersion;
  std::int64_t max_tokens = kDefaultMaxTokens;
};

AnthropicOptions read_options(const nlohmann::json& options) {
  AnthropicOptions result;
  result.stream = read_stream_options(options);
  if (const nlohmann::json& version = member(options, "anthropic_version"); !version.is_null()) {
    if (!version.is_string() || version.get<std::string>().empty()) {
      throw OptionError("anthropic_version", fmt::format("expected a version like \"{}\", got {}",
                                                         kDefaultVersion, version.dump()));
    }
    result.version = version.get<std::string>();
  }
  if (const nlohmann::json& max_tokens = member(options, "max_tokens"); !max_tokens.is_null()) {
    if (!max_tokens.is_number_integer() || max_tokens.get<std::int64_t>() <= 0) {
      throw OptionError("max_tokens",
                        fmt::format("expected a positive integer, got {}", max_tokens.dump()));
    }
    result.max_tokens = max_tokens.get<std::int64_t>();
  }
  return result;
}

/// JSON from the server, refused beyond the nesting limit: a tool's `input` is copied
/// into the completion and written into the report, which recurses.
tl::expected<nlohmann::json, RequestError> parse_json(const std::string& text, const char* what) {
  if (util::find_nesting_beyond(text, util::kMaxNestingDepth)) {
    return answer_failure(ErrorKind::bad_response, fmt::format("{} nests deeper than {} levels",
                                                               what, util::kMaxNestingDepth));
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) {
    return answer_failure(ErrorKind::bad_response,
                          fmt::format("{} is not a JSON object: {}", what, quoted_start(text)));
  }
  return parsed;
}

/// One content block, whole or streamed: a `text` block's text, a `tool_use` block's id,
/// name and input (streamed as fragments of JSON text). Other kinds (thinking, ...) are
/// kept only to be skipped.
struct Block {
  std::string type;
  std::string text;
  std::string id;
  std::string name;
  nlohmann::json input = nlohmann::json::object();
  std::string partial_json;
};

/// The completion's text, tool calls, usage and stop reason from content blocks in order.
Completion completion_from(const std::vector<Block>& blocks, std::string stop_reason, Usage usage,
                           double latency_ms) {
  std::string text;
  nlohmann::json tool_calls;
  for (const Block& block : blocks) {
    if (block.type == "text") {
      text += block.text;
    } else if (block.type == "tool_use") {
      // A streamed input is the concatenated fragments; none means the start's own input.
      tool_calls.push_back(
          {{"id", block.id},
           {"name", block.name},
           {"arguments",
            block.partial_json.empty() ? block.input : tool_arguments(block.partial_json)}});
    }
  }
  Completion completion;
  completion.text = completion_text(text, tool_calls);
  completion.tool_calls = std::move(tool_calls);
  completion.finish_reason = std::move(stop_reason);
  completion.usage = usage;
  completion.latency_ms = latency_ms;
  return completion;
}

Block block_from(const nlohmann::json& content) {
  Block block;
  block.type = string_member(content, "type");
  block.text = string_member(content, "text");
  block.id = string_member(content, "id");
  block.name = string_member(content, "name");
  if (const nlohmann::json& input = member(content, "input"); !input.is_null()) {
    block.input = input;
  }
  return block;
}

/// What a stream's events add up to, event by event.
struct StreamedMessage {
  std::map<std::int64_t, Block> blocks;  ///< by `index`
  std::string stop_reason;
  Usage usage;
  std::optional<std::size_t> first_content_end;  ///< end of the first event with content
  bool stopped = false;                          ///< `message_stop` was seen

  void add(const std::string& type, const nlohmann::json& data, std::size_t event_end) {
    bool carries = false;
    if (type == "message_start") {
      const nlohmann::json& counts = member(member(data, "message"), "usage");
      usage.prompt_tokens = token_count_member(counts, "input_tokens");
      usage.completion_tokens = token_count_member(counts, "output_tokens");
    } else if (type == "content_block_start") {
      Block& block = blocks[integer_member(data, "index").value_or(0)];
      block = block_from(member(data, "content_block"));
      carries = block.type == "tool_use" || (block.type == "text" && !block.text.empty());
    } else if (type == "content_block_delta") {
      Block& block = blocks[integer_member(data, "index").value_or(0)];
      const nlohmann::json& delta = member(data, "delta");
      const std::string kind = string_member(delta, "type");
      if (kind == "text_delta") {
        const std::string piece = string_member(delta, "text");
        block.text += piece;
        carries = !piece.empty() && block.type == "text";
      } else if (kind == "input_json_delta") {
        block.partial_json += string_member(delta, "partial_json");
      }
    } else if (type == "message_delta") {
      if (const std::string reason = string_member(member(data, "delta"), "stop_reason");
          !reason.empty()) {
        stop_reason = reason;
      }
      // Counts here are cumulative: they replace the ones message_start gave.
      const nlohmann::json& counts = member(data, "usage");
      if (auto output = token_count_member(counts, "output_tokens")) {
        usage.completion_tokens = output;
      }
      if (auto input = token_count_member(counts, "input_tokens")) {
        usage.prompt_tokens = input;
      }
    } else if (type == "message_stop") {
      stopped = true;
    }
    if (carries && !first_content_end) {
      first_content_end = event_end;
    }
  }
};

class AnthropicProvider final : public Provider {
 public:
  AnthropicProvider(const ProviderConfig& config, AnthropicOptions options)
      : Provider(config), m_options(std::move(options)) {
    std::string base = config.base_url.empty() ? kAnthropicBaseUrl : config.base_url;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    m_url = base + "/messages";
    const nlohmann::json& param = member(config.params, "stream");
    m_options.stream.stream = m_options.stream.stream || param == true;
    m_body.emplace(fixed_body(), std::vector<std::string>{"messages", "system"});
  }

  /// The API has no use for the case's other fields: `vars` is not sent.
  HttpRequest build_request(const RenderedPrompt& prompt,
                            const nlohmann::json& /*vars*/) const override {
    std::string system;
    bool has_system = false;
    std::string messages;
    util::JsonWriter json(messages);
    json.begin_array();
    for (const auto& message : prompt.messages) {
      if (message.role == "system") {
        system += (has_system ? "\n\n" : "") + message.content;
        has_system = true;
      } else {
        write_chat_message(json, message);
      }
    }
    json.end_array();
    std::string system_json;
    if (has_system) {
      util::append_json_string(system_json, system);
    }

    HttpRequest request;
    if (m_options.stream.stream) {
      request.stream = true;
      request.idle_timeout = m_options.stream.idle_timeout;
    }
    request.url = m_url;
    request.headers.push_back({"x-api-key", api_key(), true});
    request.headers.push_back({"anthropic-version", m_options.version, false});
    request.headers.push_back({"content-type", "application/json", false});
    request.body = m_body->build(
        {messages, has_system ? std::optional<std::string_view>(system_json) : std::nullopt});
    add_configured_headers(request);
    return request;
  }

  /// The body's bytes and, as the base class counts params.max_tokens, the default cap
  /// when params set none (the option or kDefaultMaxTokens).
  double estimate_tokens(const HttpRequest& request) const override {
    const double tokens = Provider::estimate_tokens(request);
    if (member(config().params, "max_tokens").is_number()) {
      return tokens;
    }
    return tokens + static_cast<double>(m_options.max_tokens);
  }

  /// 529 (overloaded) backs off like 429; an `error` event in a 200 stream is retried, with
  /// backoff when it says overloaded_error or rate_limit_error, and so is a stream cut short.
  RetryAdvice advise(const HttpResponse& response) const override {
    if (response.status == 529) {
      return RetryAdvice::back_off;
    }
    if (m_options.stream.stream && response.status >= 200 && response.status < 300) {
      if (const auto advice = stream_failure_advice(response.body)) {
        return *advice;
      }
      // A stream cut short (no message_stop) is retried: the next attempt is likely whole.
      constexpr std::size_t kTail = 256;
      const std::size_t tail = response.body.size() > kTail ? response.body.size() - kTail : 0;
      if (is_event_stream(response.body) &&
          response.body.find("message_stop", tail) == std::string::npos &&
          !parse_stream(response)) {
        return RetryAdvice::retry;
      }
    }
    return Provider::advise(response);
  }

  tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override {
    // A server that ignores `stream` answers with the whole message: read it as such.
    if (m_options.stream.stream && is_event_stream(response.body)) {
      return parse_stream(response);
    }
    const auto parsed = parse_json(response.body, "response body");
    if (!parsed) {
      return tl::unexpected(parsed.error());
    }
    const nlohmann::json& content = member(*parsed, "content");
    if (!content.is_array()) {
      return answer_failure(ErrorKind::bad_response, "response has no content list");
    }
    std::vector<Block> blocks;
    blocks.reserve(content.size());
    for (const auto& part : content) {
      blocks.push_back(block_from(part));
    }
    const nlohmann::json& counts = member(*parsed, "usage");
    return completion_from(
        blocks, string_member(*parsed, "stop_reason"),
        {token_count_member(counts, "input_tokens"), token_count_member(counts, "output_tokens")},
        response.latency_ms);
  }

 private:
  /// message_start, then per block content_block_start, _delta..., _stop, then
  /// message_delta and message_stop; `ping` may come anywhere.
  tl::expected<Completion, RequestError> parse_stream(const HttpResponse& response) const {
    const std::vector<SseEvent> events = parse_sse(response.body);
    if (const auto failed = find_stream_failure(events)) {
      return answer_failure(ErrorKind::stream_error, failed->message);
    }
    StreamedMessage message;
    for (const SseEvent& event : events) {
      const auto data = parse_json(event.data, "stream event");
      if (!data) {
        return tl::unexpected(data.error());
      }
      // The data repeats the event's name as `type`; either will do.
      const std::string type = string_member(*data, "type");
      message.add(type.empty() ? event.event : type, *data, event.end);
      if (message.stopped) {
        break;
      }
    }
    if (!message.stopped) {
      return answer_failure(ErrorKind::stream_error, "stream ended before its last event");
    }
    std::vector<Block> in_order;
    for (auto& [index, block] : message.blocks) {
      in_order.push_back(std::move(block));
    }
    Completion completion =
        completion_from(in_order, message.stop_reason, message.usage, response.latency_ms);
    if (message.first_content_end) {
      completion.ttft_ms = arrival_ms(response.arrivals, *message.first_content_end);
    }
    return completion;
  }

  /// The body's members but the messages and the system prompt: the params, the model,
  /// the default cap on tokens and what streaming adds.
  [[nodiscard]] nlohmann::json fixed_body() const {
    nlohmann::json body = config().params.is_object() ? config().params : nlohmann::json::object();
    body["model"] = config().model;
    if (!body.contains("max_tokens")) {
      body["max_tokens"] = m_options.max_tokens;
    }
    if (m_options.stream.stream) {
      body["stream"] = true;
    }
    return body;
  }

  std::string m_url;
  AnthropicOptions m_options;
  std::optional<BodyFrame> m_body;  ///< set by the constructor, once the stream mode is known
};

}  // namespace

std::unique_ptr<Provider> make_anthropic(const ProviderConfig& config) {
  return std::make_unique<AnthropicProvider>(config, read_options(config.options));
}

void validate_anthropic(const ProviderOptions& options) {
  options.allow_only({"stream", "idle_timeout", "anthropic_version", "max_tokens"});
  (void)read_options(options.raw());
}

}  // namespace promptbench::providers
