// SPDX-License-Identifier: Apache-2.0
// The OpenAI chat-completions route: text and tool-call answers, plain or streamed.
#include "routes.hpp"
#include "text_model.hpp"

#include <optional>

namespace promptbench::stub {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// Fixed so that responses are byte-for-byte reproducible.
constexpr std::int64_t kCreated = 1700000000;

bool is_true(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_boolean() &&
         object[key].get<bool>();
}

std::string message_role(const json& message) {
  if (message.is_object() && message.contains("role") && message["role"].is_string()) {
    return message["role"].get<std::string>();
  }
  return {};
}

std::vector<Turn> chat_turns(const json& messages) {
  std::vector<Turn> turns;
  for (const auto& message : messages) {
    const bool has_content = message.is_object() && message.contains("content");
    turns.push_back({message_role(message), has_content ? content_text(message["content"]) : ""});
  }
  return turns;
}

// Why the request cannot be answered, or "" if it can.
std::string chat_request_problem(const json& request) {
  if (request.is_discarded()) {
    return "stub: request body is not valid JSON";
  }
  if (!request.is_object()) {
    return "stub: request body must be a JSON object";
  }
  if (!request.contains("messages") || !request["messages"].is_array()) {
    return "stub: request body has no \"messages\" array";
  }
  if (request.contains("stream_options") && !is_true(request, "stream")) {
    return "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
  }
  if (request.contains("tools")) {
    if (!request["tools"].is_array()) {
      return "stub: \"tools\" must be an array";
    }
    for (std::size_t i = 0; i < request["tools"].size(); ++i) {
      const json& tool = request["tools"][i];
      if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object() ||
          !tool["function"].contains("name") || !tool["function"]["name"].is_string()) {
        return "stub: tools[" + std::to_string(i) +
               "] must be {\"type\":\"function\",\"function\":{\"name\":...}}";
      }
    }
  }
  return {};
}

// The tool call the answer makes: the first tool (or the one tool_choice names), unless there
// are no tools, tool_choice is "none", or the conversation ends with a tool's result (a client
// running a tool loop then gets its text answer rather than another call).
std::optional<ToolCall> chat_tool_call(const json& request, const std::string& body,
                                       const std::vector<Turn>& turns) {
  if (!request.contains("tools") || request["tools"].empty() ||
      request.value("tool_choice", json()) == "none" ||
      (!turns.empty() && turns.back().role == "tool")) {
    return std::nullopt;
  }
  // Parsed again in document order: "the first property" of a schema is the one written first.
  const ordered_json ordered = ordered_json::parse(body);
  const ordered_json* chosen = &ordered["tools"][0]["function"];
  const ordered_json choice = ordered.value("tool_choice", ordered_json());
  if (choice.is_object() && choice.contains("function") && choice["function"].is_object()) {
    for (const auto& tool : ordered["tools"]) {
      if (tool["function"]["name"] == choice["function"].value("name", "")) {
        chosen = &tool["function"];
      }
    }
  }
  return make_tool_call((*chosen)["name"].get<std::string>(),
                        chosen->value("parameters", ordered_json()), turns);
}

json usage_json(std::size_t prompt, std::size_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

json tool_calls_json(const std::string& id, const ToolCall& call, bool first_chunk) {
  json entry = {{"id", id},
                {"type", "function"},
                {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
  if (first_chunk) {
    entry["index"] = 0;
    entry["function"]["arguments"] = "";
  }
  return json::array({entry});
}

json completion_json(const std::string& id, const std::string& model, const json& message,
                     const char* finish_reason, const json& usage) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", kCreated},
          {"model", model},
          {"choices",
           json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish_reason}}})},
          {"usage", usage}};
}

// The chunks of a streamed answer. The first carries the role and no text (for a tool call:
// the call's id and name with empty arguments); the content chunks carry the text or the
// arguments in pieces; the last has finish_reason. With stream_options.include_usage, as
// OpenAI does, every chunk has "usage": null and a final one with no choices has the usage.
class ChunkWriter {
 public:
  ChunkWriter(const std::string& id, const std::string& model, bool include_usage)
      : m_base({{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", kCreated},
                {"model", model}}),
        m_include_usage(include_usage) {
    if (include_usage) {
      m_base["usage"] = nullptr;
    }
  }

  std::string chunk(const json& delta, const json& finish_reason = nullptr) const {
    json chunk = m_base;
    chunk["choices"] =
        json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}});
    return sse_data(chunk);
  }

  std::vector<std::string> closing(const char* finish_reason, const json& usage) const {
    std::vector<std::string> events = {chunk(json::object(), finish_reason)};
    if (m_include_usage) {
      json last = m_base;
      last["choices"] = json::array();
      last["usage"] = usage;
      events.push_back(sse_data(last));
    }
    events.push_back("data: [DONE]\n\n");
    return events;
  }

 private:
  json m_base;
  bool m_include_usage;
};

}  // namespace

std::uint64_t handle_chat(const Context& context, const StubState::Admission& admission,
                          const httplib::Request& req, httplib::Response& res) {
  const json request = json::parse(req.body, nullptr, false);
  const bool stream = is_true(request, "stream");
  if (answer_fault(context, Route::Chat, req, res, admission, stream)) {
    return 0;
  }
  if (const std::string problem = chat_request_problem(request); !problem.empty()) {
    answer_error(context, Route::Chat, res, 400, "invalid_request_error", problem);
    context.state.record_answer(admission.body_hash, 400, false, false);
    return 0;
  }
  const std::vector<Turn> turns = chat_turns(request["messages"]);
  std::string model = "stub";
  if (request.contains("model") && request["model"].is_string()) {
    model = request["model"].get<std::string>();
  }
  const std::string id = "stub-" + std::to_string(admission.number);
  const std::optional<ToolCall> call = chat_tool_call(request, req.body, turns);
  const std::string text =
      call ? call->input.begin()->get<std::string>() : reply_text(turns, context.options.mode);
  const json usage = usage_json(word_count(turns), output_tokens(text));
  const char* finish_reason = call ? "tool_calls" : "stop";
  const std::string call_id = "call_" + std::to_string(admission.number);

  if (stream) {
    const bool include_usage =
        request.contains("stream_options") && is_true(request["stream_options"], "include_usage");
    const ChunkWriter writer(id, model, include_usage);
    StreamPlan plan;
    if (call) {
      plan.opening = {writer.chunk({{"role", "assistant"},
                                    {"content", nullptr},
                                    {"tool_calls", tool_calls_json(call_id, *call, true)}})};
      for (const auto& piece : split_utf8(call->arguments, 3)) {
        plan.content.push_back(writer.chunk(
            {{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", piece}}}}})}}));
      }
    } else {
      plan.opening = {writer.chunk({{"role", "assistant"}, {"content", ""}})};
      for (const auto& piece : split_utf8(text, text.size() >= 3 ? 3 : 2)) {
        plan.content.push_back(writer.chunk({{"content", piece}}));
      }
    }
    plan.closing = writer.closing(finish_reason, usage);
    if (admission.stream_error) {
      plan.error_event = sse_data(
          {{"error", {{"message", "stub: injected stream error"}, {"type", "server_error"}}}});
      context.state.record_stream_error();
    }
    answer_stream(context, res, std::move(plan));
  } else {
    const json message = call ? json{{"role", "assistant"},
                                     {"content", nullptr},
                                     {"tool_calls", tool_calls_json(call_id, *call, false)}}
                              : json{{"role", "assistant"}, {"content", text}};
    answer_json(res, 200, completion_json(id, model, message, finish_reason, usage).dump(),
                json_type(context.options));
    mark_answer_complete();
  }
  context.state.record_answer(admission.body_hash, 200, !admission.stream_error || !stream, false);
  return usage["total_tokens"].get<std::uint64_t>();
}

}  // namespace promptbench::stub
