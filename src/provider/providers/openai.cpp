// SPDX-License-Identifier: Apache-2.0
// Provider `openai`: the chat completions API, spoken by OpenAI, vLLM, llama.cpp server,
// Ollama and LM Studio alike.
#include <algorithm>

#include <fmt/format.h>

#include "provider/providers/providers.hpp"
#include "util/utf8.hpp"

namespace promptbench::providers {

namespace {

constexpr const char* kDefaultBaseUrl = "https://api.openai.com/v1";

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

std::optional<std::int64_t> optional_count(const nlohmann::json& object, const char* key) {
  if (object.is_object() && object.contains(key) && object[key].is_number_integer()) {
    return object[key].get<std::int64_t>();
  }
  return std::nullopt;
}

class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(const ProviderConfig& config) : Provider(config) {
    std::string base = config.base_url.empty() ? kDefaultBaseUrl : config.base_url;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    m_url = base + "/chat/completions";
  }

  /// The chat API has no use for the case's other fields: `vars` is not sent.
  HttpRequest build_request(const RenderedPrompt& prompt,
                            const nlohmann::json& /*vars*/) const override {
    nlohmann::json body = config().params;
    body["model"] = config().model;
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : prompt.messages) {
      messages.push_back({{"role", message.role}, {"content", message.content}});
    }
    body["messages"] = std::move(messages);

    HttpRequest request;
    request.url = m_url;
    request.headers.push_back({"Content-Type", "application/json", false});
    if (!api_key().empty()) {
      request.headers.push_back({"Authorization", "Bearer " + api_key(), true});
    }
    request.body = body.dump();
    add_configured_headers(request);
    return request;
  }

  tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override {
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) {
      // Quote the start of the body: an HTML page or a proxy's notice says what went wrong.
      return bad_response(
          fmt::format("response body is not valid JSON: {}", body_start(response.body)));
    }
    const auto choices = parsed.find("choices");
    if (choices == parsed.end() || !choices->is_array() || choices->empty() ||
        !(*choices)[0].is_object() || !(*choices)[0].contains("message")) {
      return bad_response("response has no choices[0].message");
    }
    const auto& choice = (*choices)[0];
    const auto& message = choice["message"];
    const auto text = message.is_object() && message.contains("content")
                          ? content_text(message["content"])
                          : std::nullopt;
    if (!text) {
      return bad_response("choices[0].message.content is not text");
    }
    Completion completion;
    completion.text = *text;
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      completion.finish_reason = choice["finish_reason"].get<std::string>();
    }
    if (auto usage = parsed.find("usage"); usage != parsed.end()) {
      completion.usage.prompt_tokens = optional_count(*usage, "prompt_tokens");
      completion.usage.completion_tokens = optional_count(*usage, "completion_tokens");
    }
    completion.latency_ms = response.latency_ms;
    return completion;
  }

 private:
  /// The first 60 bytes of `body` on one line, cut at a UTF-8 boundary.
  static std::string body_start(const std::string& body) {
    constexpr std::size_t kShown = 60;
    std::string start(util::utf8_prefix(body, kShown));
    const bool cut = start.size() < body.size();
    std::replace_if(
        start.begin(), start.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    if (start.empty()) {
      return "(empty)";
    }
    return "'" + start + (cut ? "...'" : "'");
  }

  static tl::unexpected<RequestError> bad_response(std::string message) {
    return tl::unexpected(RequestError{ErrorKind::bad_response, 0, std::move(message)});
  }

  std::string m_url;
};

}  // namespace

std::unique_ptr<Provider> make_openai(const ProviderConfig& config) {
  return std::make_unique<OpenAiProvider>(config);
}

void validate_openai(const ProviderOptions& options) {
  options.allow_only({});
}

}  // namespace promptbench::providers
