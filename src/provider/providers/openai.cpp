// SPDX-License-Identifier: Apache-2.0
// Provider `openai`: the chat completions API, spoken by OpenAI, vLLM, llama.cpp server,
// Ollama and LM Studio alike.
//
// Options: `stream` (boolean, default false) asks for server-sent events, which gives the
// time to first token; `idle_timeout` (default 30s, 0 = none) ends a stream that sends
// nothing for that long. `params: {stream: true}` streams exactly as the option does.
// A streamed answer is assembled into the same Completion, text byte for byte, as the
// answer to the same request without streaming.
#include <map>

#include <fmt/format.h>

#include "provider/answer.hpp"
#include "provider/body_frame.hpp"
#include "provider/plain_answer.hpp"
#include "provider/providers/providers.hpp"
#include "provider/sse.hpp"
#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/json_writer.hpp"

namespace promptbench::providers {

namespace {

/// Whether a stream ends with OpenAI's `data: [DONE]` (the cheap test of a whole stream).
bool ends_with_done(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) {
    body.remove_suffix(1);
  }
  constexpr std::string_view kDone = "[DONE]";
  return body.size() >= kDone.size() && body.substr(body.size() - kDone.size()) == kDone;
}

constexpr const char* kOpenAiBaseUrl = "https://api.openai.com/v1";

/// `content` is a string, null (e.g. a tool call) or a list of parts with `text`.
std::optional<std::string> content_text(const nlohmann::json& content) {
  if (content.is_string()) {
    return content.get<std::string>();
  }
  if (content.is_null()) {
    return std::string();
  }
  if (content.is_array()) {
    std::string text;
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) {
        text += part["text"].get<std::string>();
      }
    }
    return text;
  }
  return std::nullopt;
}

/// The integer `index` of a choice or a tool call delta, or `fallback`.
std::int64_t index_of(const nlohmann::json& object, std::int64_t fallback) {
  return integer_member(object, "index").value_or(fallback);
}

Usage usage_of(const nlohmann::json& usage) {
  return {token_count_member(usage, "prompt_tokens"),
          token_count_member(usage, "completion_tokens")};
}

/// message.tool_calls [{id, type, function: {name, arguments}}] as Completion::tool_calls;
/// null when there are none.
tl::expected<nlohmann::json, RequestError> message_tool_calls(const nlohmann::json& message) {
  const auto calls = message.find("tool_calls");
  if (calls == message.end() || calls->is_null() || (calls->is_array() && calls->empty())) {
    return nlohmann::json();
  }
  if (!calls->is_array()) {
    return answer_failure(ErrorKind::bad_response, "choices[0].message.tool_calls is not a list");
  }
  nlohmann::json result = nlohmann::json::array();
  for (const auto& call : *calls) {
    const nlohmann::json& function = member(call, "function");
    if (!function.is_object()) {
      return answer_failure(ErrorKind::bad_response,
                            "choices[0].message.tool_calls has a call without a function");
    }
    // Arguments are a JSON string; a server that sends the object itself is taken at its word.
    const auto arguments = function.find("arguments");
    result.push_back(
        {{"id", string_member(call, "id")},
         {"name", string_member(function, "name")},
         {"arguments", arguments == function.end() ? nlohmann::json::object()
                       : arguments->is_string()    ? tool_arguments(arguments->get<std::string>())
                                                   : *arguments}});
  }
  return result;
}

/// A tool call streamed in fragments: every string field's pieces are concatenated, as the
/// OpenAI SDKs accumulate deltas.
struct ToolCallParts {
  std::string id;
  std::string name;
  std::string arguments;
};

/// What a stream's chunks add up to, chunk by chunk.
struct StreamedAnswer {
  std::string content;
  std::map<std::int64_t, ToolCallParts> tool_calls;  ///< by `index`
  std::string finish_reason;
  Usage usage;
  std::optional<std::size_t> first_content_end;  ///< end of the first event with content
  bool done = false;                             ///< `[DONE]` was seen

  /// One chunk's choices[0].delta, finish_reason and usage. An error for content that is
  /// not text.
  tl::expected<void, RequestError> add(const nlohmann::json& chunk, std::size_t event_end) {
    if (auto usage_value = chunk.find("usage"); usage_value != chunk.end()) {
      if (usage_value->is_object()) {
        usage = usage_of(*usage_value);
      }
    }
    const auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array()) {
      return {};
    }
    for (const auto& choice : *choices) {
      // With `n` above 1 the choices interleave; choice 0 is the answer, as without streams.
      if (!choice.is_object() || index_of(choice, 0) != 0) {
        continue;
      }
      if (const std::string reason = string_member(choice, "finish_reason"); !reason.empty()) {
        finish_reason = reason;
      }
      const nlohmann::json& delta = member(choice, "delta");
      if (!delta.is_object()) {
        continue;
      }
      bool carries = false;
      if (auto piece = delta.find("content"); piece != delta.end()) {
        const auto text = content_text(*piece);
        if (!text) {
          return answer_failure(ErrorKind::bad_response, "choices[0].delta.content is not text");
        }
        content += *text;
        carries = !text->empty();
      }
      if (auto calls = delta.find("tool_calls"); calls != delta.end() && calls->is_array()) {
        for (std::size_t i = 0; i < calls->size(); ++i) {
          const auto& call = (*calls)[i];
          ToolCallParts& parts = tool_calls[index_of(call, static_cast<std::int64_t>(i))];
          const nlohmann::json& function = member(call, "function");
          parts.id += string_member(call, "id");
          parts.name += string_member(function, "name");
          parts.arguments += string_member(function, "arguments");
          carries = true;
        }
      }
      if (carries && !first_content_end) {
        first_content_end = event_end;
      }
    }
    return {};
  }

  [[nodiscard]] nlohmann::json assembled_tool_calls() const {
    if (tool_calls.empty()) {
      return nlohmann::json();
    }
    nlohmann::json result = nlohmann::json::array();
    for (const auto& [index, parts] : tool_calls) {
      result.push_back(
          {{"id", parts.id}, {"name", parts.name}, {"arguments", tool_arguments(parts.arguments)}});
    }
    return result;
  }
};

class OpenAiProvider final : public Provider {
 public:
  OpenAiProvider(const ProviderConfig& config, const StreamOptions& stream)
      : Provider(config), m_stream(stream) {
    std::string base = config.base_url.empty() ? kOpenAiBaseUrl : config.base_url;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    m_url = base + "/chat/completions";
    const auto param = config.params.find("stream");
    m_stream.stream = m_stream.stream || (param != config.params.end() && *param == true);
    m_body.emplace(fixed_body(), std::vector<std::string>{"messages"});
  }

  /// The chat API has no use for the case's other fields: `vars` is not sent.
  HttpRequest build_request(const RenderedPrompt& prompt,
                            const nlohmann::json& /*vars*/) const override {
    std::string messages;
    util::JsonWriter json(messages);
    json.begin_array();
    for (const auto& message : prompt.messages) {
      write_chat_message(json, message);
    }
    json.end_array();

    HttpRequest request;
    if (m_stream.stream) {
      request.stream = true;
      request.idle_timeout = m_stream.idle_timeout;
    }
    request.url = m_url;
    request.headers.push_back({"Content-Type", "application/json", false});
    if (!api_key().empty()) {
      request.headers.push_back({"Authorization", "Bearer " + api_key(), true});
    }
    request.body = m_body->build({messages});
    add_configured_headers(request);
    return request;
  }

  /// A 2xx stream that reports an error part-way is retried like the status it stands for.
  /// A stream cut short (no [DONE], no finish_reason) is retried too: the connection broke
  /// off, and the next attempt is likely whole.
  RetryAdvice advise(const HttpResponse& response) const override {
    if (m_stream.stream && response.status >= 200 && response.status < 300) {
      if (const auto advice = stream_failure_advice(response.body)) {
        return *advice;
      }
      if (is_event_stream(response.body) && !ends_with_done(response.body) &&
          !parse_stream(response)) {
        return RetryAdvice::retry;
      }
    }
    return Provider::advise(response);
  }

  tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override {
    // A server that ignores `stream` answers with the whole document: read it as such.
    if (m_stream.stream && is_event_stream(response.body)) {
      return parse_stream(response);
    }
    if (auto plain = read_plain_chat_answer(response.body)) {
      Completion completion;
      completion.text = std::move(plain->content);
      completion.finish_reason = std::move(plain->finish_reason);
      completion.usage = plain->usage;
      completion.latency_ms = response.latency_ms;
      return completion;
    }
    // Tool call arguments sent as an object are copied into the completion, which recurses.
    if (util::find_nesting_beyond(response.body, util::kMaxNestingDepth)) {
      return answer_failure(
          ErrorKind::bad_response,
          fmt::format("response body nests deeper than {} levels", util::kMaxNestingDepth));
    }
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) {
      // Quote the start of the body: an HTML page or a proxy's notice says what went wrong.
      return answer_failure(
          ErrorKind::bad_response,
          fmt::format("response body is not valid JSON: {}", quoted_start(response.body)));
    }
    const auto choices = parsed.find("choices");
    if (choices == parsed.end() || !choices->is_array() || choices->empty() ||
        !(*choices)[0].is_object() || !(*choices)[0].contains("message")) {
      return answer_failure(ErrorKind::bad_response, "response has no choices[0].message");
    }
    const auto& choice = (*choices)[0];
    const auto& message = choice["message"];
    if (!message.is_object()) {
      return answer_failure(ErrorKind::bad_response, "choices[0].message.content is not text");
    }
    const auto tool_calls = message_tool_calls(message);
    if (!tool_calls) {
      return tl::unexpected(tool_calls.error());
    }
    // A message that only calls tools may leave `content` out altogether.
    const auto text = message.contains("content") ? content_text(message["content"])
                      : !tool_calls->is_null()    ? std::optional<std::string>("")
                                                  : std::nullopt;
    if (!text) {
      return answer_failure(ErrorKind::bad_response, "choices[0].message.content is not text");
    }
    Completion completion;
    completion.text = completion_text(*text, *tool_calls);
    completion.tool_calls = *tool_calls;
    completion.finish_reason = string_member(choice, "finish_reason");
    if (auto usage = parsed.find("usage"); usage != parsed.end()) {
      completion.usage = usage_of(*usage);
    }
    completion.latency_ms = response.latency_ms;
    return completion;
  }

 private:
  /// Chunks `data: {...}` up to `data: [DONE]`; the usage chunk (empty `choices`) comes
  /// last when stream_options.include_usage is set.
  tl::expected<Completion, RequestError> parse_stream(const HttpResponse& response) const {
    const std::vector<SseEvent> events = parse_sse(response.body);
    if (const auto failed = find_stream_failure(events)) {
      return answer_failure(ErrorKind::stream_error, failed->message);
    }
    StreamedAnswer answer;
    for (const SseEvent& event : events) {
      if (event.event != "message") {
        continue;  // not a chunk; the only named event that matters, `error`, is handled
      }
      if (event.data == "[DONE]") {
        answer.done = true;
        break;
      }
      const auto chunk = nlohmann::json::parse(event.data, nullptr, false);
      if (!chunk.is_object()) {
        return answer_failure(
            ErrorKind::bad_response,
            fmt::format("stream event is not a JSON object: {}", quoted_start(event.data)));
      }
      if (auto added = answer.add(chunk, event.end); !added) {
        return tl::unexpected(added.error());
      }
    }
    if (!answer.done && answer.finish_reason.empty()) {
      return answer_failure(ErrorKind::stream_error, "stream ended before its last event");
    }
    Completion completion;
    completion.tool_calls = answer.assembled_tool_calls();
    completion.text = completion_text(answer.content, completion.tool_calls);
    completion.finish_reason = answer.finish_reason;
    completion.usage = answer.usage;
    completion.latency_ms = response.latency_ms;
    if (answer.first_content_end) {
      completion.ttft_ms = arrival_ms(response.arrivals, *answer.first_content_end);
    }
    return completion;
  }

  /// The body's members but the messages: the params, the model, and what streaming adds.
  [[nodiscard]] nlohmann::json fixed_body() const {
    nlohmann::json body = config().params.is_object() ? config().params : nlohmann::json::object();
    body["model"] = config().model;
    if (m_stream.stream) {
      body["stream"] = true;
      // Usage comes in a last chunk only when asked for; `params` may ask otherwise.
      if (!body.contains("stream_options")) {
        body["stream_options"] = {{"include_usage", true}};
      }
    }
    return body;
  }

  std::string m_url;
  StreamOptions m_stream;
  std::optional<BodyFrame> m_body;  ///< set by the constructor, once the stream mode is known
};

}  // namespace

std::unique_ptr<Provider> make_openai(const ProviderConfig& config) {
  return std::make_unique<OpenAiProvider>(config, read_stream_options(config.options));
}

void validate_openai(const ProviderOptions& options) {
  options.allow_only({"stream", "idle_timeout"});
  (void)read_stream_options(options.raw());
}

}  // namespace promptbench::providers
