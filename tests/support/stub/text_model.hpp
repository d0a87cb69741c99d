// SPDX-License-Identifier: Apache-2.0
// The stub's reply model, shared by every route: a conversation reduced to (role, text) turns,
// the echo/sentiment reply, word counts as token counts, and the tool call it answers with.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace promptbench::stub {

// One message as the text model sees it. Roles are "system", "user", "assistant" and "tool"
// (an OpenAI tool message, or an Anthropic user message made only of tool_result blocks).
struct Turn {
  std::string role;
  std::string text;
};

// OpenAI content: a string or an array of parts ({"type":"text","text":...}); also used for
// Anthropic blocks, whose text blocks have the same shape. Anything else has no text.
std::string content_text(const nlohmann::json& content);

std::vector<std::string> split_words(std::string_view text);
std::string trim(std::string_view text);

// The reply to a conversation: echo gives the last user turn verbatim; sentiment gives the
// label alone if a user or system turn asks for "one word", else "The sentiment is LABEL.".
std::string reply_text(const std::vector<Turn>& turns, const std::string& mode);
std::string last_user_text(const std::vector<Turn>& turns);
// Whitespace-separated words over every turn: the stub's prompt token count.
std::size_t word_count(const std::vector<Turn>& turns);
// The stub's completion token count: the words of `text`, at least 1.
std::size_t output_tokens(std::string_view text);

// Splits into `count` pieces at UTF-8 character boundaries (a piece may be empty for short
// texts); cutting inside a multi-byte character would make the chunks invalid JSON strings.
std::vector<std::string> split_utf8(const std::string& text, std::size_t count);

// The call the stub answers a request with tools with: the first tool, given the trimmed last
// user text under the first property of its parameter schema (in document order, hence
// ordered_json), or under "input" when the schema names none.
struct ToolCall {
  std::string name;
  nlohmann::json input;   // {"<property>": "<text>"}
  std::string arguments;  // input.dump(): OpenAI sends the arguments as a JSON string
};
ToolCall make_tool_call(const std::string& name, const nlohmann::ordered_json& schema,
                        const std::vector<Turn>& turns);

}  // namespace promptbench::stub
