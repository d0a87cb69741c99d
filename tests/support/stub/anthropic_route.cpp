// SPDX-License-Identifier: Apache-2.0
// The Anthropic Messages route: validated like the real API, text and tool_use answers, plain
// or as the real event stream (message_start ... message_stop).
#include "routes.hpp"
#include "text_model.hpp"

#include <optional>

namespace promptbench::stub {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// The real API's message for the commonest mistake of a client ported from OpenAI.
constexpr const char* kSystemRole =
    "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` "
    "parameter, not \"system\" as an input message role.";

std::string field(const std::string& path, const char* problem) {
  return path + ": " + problem;
}

bool is_string_field(const json& object, const char* key) {
  return object.contains(key) && object[key].is_string();
}

// Why a content block at `path` is invalid, or "". Text and tool_result blocks are what users
// send; tool_use blocks come back in the assistant turns of a tool conversation.
std::string block_problem(const json& block, const std::string& path) {
  if (!block.is_object() || !is_string_field(block, "type")) {
    return field(path, "Unable to extract tag using discriminator 'type'");
  }
  const std::string type = block["type"].get<std::string>();
  if (type == "text") {
    return is_string_field(block, "text") ? "" : field(path + ".text", "Field required");
  }
  if (type == "tool_result") {
    if (!is_string_field(block, "tool_use_id")) {
      return field(path + ".tool_use_id", "Field required");
    }
    if (block.contains("content") && !block["content"].is_string() &&
        !block["content"].is_array()) {
      return field(path + ".content", "Input should be a valid string or a list of blocks");
    }
    return {};
  }
  if (type == "tool_use") {
    if (!is_string_field(block, "id") || !is_string_field(block, "name")) {
      return field(path + (is_string_field(block, "id") ? ".name" : ".id"), "Field required");
    }
    return block.contains("input") && block["input"].is_object()
               ? ""
               : field(path + ".input", "Input should be a valid dictionary");
  }
  return field(path + ".type", ("Input tag '" + type +
                                "' found using 'type' does not match any of the expected "
                                "tags: 'text', 'tool_use', 'tool_result'")
                                   .c_str());
}

std::string message_problem(const json& message, std::size_t index) {
  const std::string path = "messages." + std::to_string(index);
  if (!message.is_object()) {
    return field(path, "Input should be a valid dictionary");
  }
  if (!message.contains("role")) {
    return field(path + ".role", "Field required");
  }
  if (message["role"] == "system") {
    return kSystemRole;
  }
  if (message["role"] != "user" && message["role"] != "assistant") {
    return field(path + ".role", "Input should be 'user' or 'assistant'");
  }
  if (!message.contains("content")) {
    return field(path + ".content", "Field required");
  }
  const json& content = message["content"];
  if (content.is_string()) {
    return {};
  }
  if (!content.is_array()) {
    return field(path + ".content", "Input should be a valid string or a list of content blocks");
  }
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (auto problem = block_problem(content[i], path + ".content." + std::to_string(i));
        !problem.empty()) {
      return problem;
    }
  }
  return {};
}

std::string system_problem(const json& request) {
  if (!request.contains("system") || request["system"].is_string()) {
    return {};
  }
  const json& system = request["system"];
  bool blocks = system.is_array();
  for (const auto& block : blocks ? system : json::array()) {
    blocks = blocks && block.is_object() && block.value("type", "") == "text" &&
             is_string_field(block, "text");
  }
  return blocks ? "" : "system: Input should be a valid string or a list of text blocks";
}

std::string tools_problem(const json& request) {
  if (!request.contains("tools")) {
    return {};
  }
  if (!request["tools"].is_array()) {
    return "tools: Input should be a valid list";
  }
  for (std::size_t i = 0; i < request["tools"].size(); ++i) {
    const json& tool = request["tools"][i];
    const std::string path = "tools." + std::to_string(i);
    if (!tool.is_object() || !is_string_field(tool, "name")) {
      return field(path + ".name", "Field required");
    }
    if (!tool.contains("input_schema") || !tool["input_schema"].is_object()) {
      return field(path + ".input_schema", "Field required");
    }
  }
  return {};
}

// Why the request cannot be answered, or "" if it can; the first problem in the order the
// real API reports them: headers, body, model, max_tokens, messages, then the rest.
std::string messages_request_problem(const httplib::Request& req, const json& request) {
  if (!req.has_header("anthropic-version")) {
    return "anthropic-version: header is required";
  }
  if (request.is_discarded()) {
    return "The request body is not valid JSON";
  }
  if (!request.is_object()) {
    return "The request body must be a JSON object";
  }
  if (!request.contains("model")) {
    return "model: Field required";
  }
  if (!request["model"].is_string()) {
    return "model: Input should be a valid string";
  }
  if (request["model"].get<std::string>().empty()) {
    return "model: String should have at least 1 character";
  }
  if (!request.contains("max_tokens")) {
    return "max_tokens: Field required";
  }
  if (!request["max_tokens"].is_number_integer()) {
    return "max_tokens: Input should be a valid integer";
  }
  if (request["max_tokens"].get<std::int64_t>() < 1) {
    return "max_tokens: Input should be greater than or equal to 1";
  }
  if (!request.contains("messages")) {
    return "messages: Field required";
  }
  if (!request["messages"].is_array()) {
    return "messages: Input should be a valid list";
  }
  if (request["messages"].empty()) {
    return "messages: at least one message is required";
  }
  for (std::size_t i = 0; i < request["messages"].size(); ++i) {
    if (auto problem = message_problem(request["messages"][i], i); !problem.empty()) {
      return problem;
    }
  }
  if (request["messages"][0]["role"] != "user") {
    return "messages: first message must use the \"user\" role";
  }
  if (request.contains("stream") && !request["stream"].is_boolean()) {
    return "stream: Input should be a valid boolean";
  }
  if (auto problem = system_problem(request); !problem.empty()) {
    return problem;
  }
  return tools_problem(request);
}

// The text model's view: the system prompt, then each message; a user message made only of
// tool_result blocks is a "tool" turn whose text is the results' text.
std::vector<Turn> message_turns(const json& request) {
  std::vector<Turn> turns;
  if (request.contains("system")) {
    turns.push_back({"system", content_text(request["system"])});
  }
  for (const auto& message : request["messages"]) {
    Turn turn{message["role"].get<std::string>(), content_text(message["content"])};
    bool results_only = message["content"].is_array() && !message["content"].empty();
    std::string results;
    for (const auto& block : message["content"].is_array() ? message["content"] : json::array()) {
      results_only = results_only && block["type"] == "tool_result";
      if (block["type"] == "tool_result" && block.contains("content")) {
        results += content_text(block["content"]);
      }
    }
    if (turn.role == "user" && results_only) {
      turn = {"tool", results};
    }
    turns.push_back(std::move(turn));
  }
  return turns;
}

// The tool the answer calls: the first (or the one tool_choice names), unless there are no
// tools, tool_choice is {"type":"none"}, or the conversation ends with tool results.
std::optional<ToolCall> messages_tool_call(const json& request, const std::string& body,
                                           const std::vector<Turn>& turns) {
  const json choice = request.value("tool_choice", json::object());
  if (!request.contains("tools") || request["tools"].empty() ||
      (choice.is_object() && choice.value("type", "") == "none") || turns.back().role == "tool") {
    return std::nullopt;
  }
  // Parsed again in document order: "the first property" of a schema is the one written first.
  const ordered_json ordered = ordered_json::parse(body);
  const ordered_json* chosen = &ordered["tools"][0];
  if (choice.is_object() && choice.value("type", "") == "tool") {
    for (const auto& tool : ordered["tools"]) {
      if (tool["name"] == choice.value("name", "")) {
        chosen = &tool;
      }
    }
  }
  return make_tool_call((*chosen)["name"].get<std::string>(), (*chosen)["input_schema"], turns);
}

// message_start, content_block_start, ping; the deltas; content_block_stop, message_delta,
// message_stop: the real API's event sequence for one content block.
StreamPlan stream_plan(const json& message, const json& block, const std::vector<json>& deltas) {
  json start = message;
  start["content"] = json::array();
  start["stop_reason"] = nullptr;
  start["usage"]["output_tokens"] = 1;
  StreamPlan plan;
  plan.opening = {
      sse_event("message_start", {{"type", "message_start"}, {"message", start}}),
      sse_event("content_block_start",
                {{"type", "content_block_start"}, {"index", 0}, {"content_block", block}}),
      sse_event("ping", {{"type", "ping"}})};
  for (const auto& delta : deltas) {
    plan.content.push_back(sse_event(
        "content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", delta}}));
  }
  plan.closing = {
      sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}),
      sse_event("message_delta",
                {{"type", "message_delta"},
                 {"delta", {{"stop_reason", message["stop_reason"]}, {"stop_sequence", nullptr}}},
                 {"usage", {{"output_tokens", message["usage"]["output_tokens"]}}}}),
      sse_event("message_stop", {{"type", "message_stop"}})};
  return plan;
}

}  // namespace

std::uint64_t handle_messages(const Context& context, const StubState::Admission& admission,
                              const httplib::Request& req, httplib::Response& res) {
  const json request = json::parse(req.body, nullptr, false);
  const bool stream = request.is_object() && request.value("stream", json()) == true;
  if (answer_fault(context, Route::Messages, req, res, admission, stream)) {
    return 0;
  }
  if (const std::string problem = messages_request_problem(req, request); !problem.empty()) {
    answer_error(context, Route::Messages, res, 400, "invalid_request_error", problem);
    context.state.record_answer(admission.body_hash, 400, false, false);
    return 0;
  }
  const std::vector<Turn> turns = message_turns(request);
  const std::optional<ToolCall> call = messages_tool_call(request, req.body, turns);
  const std::string number = std::to_string(admission.number);
  const std::string text =
      call ? call->input.begin()->get<std::string>() : reply_text(turns, context.options.mode);
  const json block = call ? json{{"type", "tool_use"},
                                 {"id", "toolu_" + number},
                                 {"name", call->name},
                                 {"input", call->input}}
                          : json{{"type", "text"}, {"text", text}};
  const std::size_t input_tokens = word_count(turns);
  const json message = {
      {"id", "msg_stub_" + number},
      {"type", "message"},
      {"role", "assistant"},
      {"model", request["model"]},
      {"content", json::array({block})},
      {"stop_reason", call ? "tool_use" : "end_turn"},
      {"stop_sequence", nullptr},
      {"usage", {{"input_tokens", input_tokens}, {"output_tokens", output_tokens(text)}}}};
  if (stream) {
    std::vector<json> deltas;
    json opening_block = block;
    if (call) {
      opening_block["input"] = json::object();
      for (const auto& piece : split_utf8(call->arguments, 3)) {
        deltas.push_back({{"type", "input_json_delta"}, {"partial_json", piece}});
      }
    } else {
      opening_block["text"] = "";
      for (const auto& piece : split_utf8(text, text.size() >= 3 ? 3 : 2)) {
        deltas.push_back({{"type", "text_delta"}, {"text", piece}});
      }
    }
    StreamPlan plan = stream_plan(message, opening_block, deltas);
    if (admission.stream_error) {
      plan.error_event = sse_event(
          "error", json::parse(error_body(Route::Messages, "overloaded_error", "Overloaded")));
      context.state.record_stream_error();
    }
    answer_stream(context, res, std::move(plan));
  } else {
    answer_json(res, 200, message.dump(), json_type(context.options));
    mark_answer_complete();
  }
  context.state.record_answer(admission.body_hash, 200, !admission.stream_error || !stream, false);
  return input_tokens + output_tokens(text);
}

}  // namespace promptbench::stub
