// SPDX-License-Identifier: Apache-2.0
#include "provider/plain_answer.hpp"

#include <simdjson.h>

namespace promptbench {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

/// Plain answers nest four or five levels. A deeper body goes to the full reader, which
/// applies the provider's own nesting limit and names it in its error.
constexpr std::size_t kMaxPlainDepth = 32;

simdjson::dom::parser& thread_parser() {
  // One parser per thread: it keeps its buffers from one answer to the next.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser fresh;
    // Only fails for want of memory; parse() then allocates, with the default depth limit.
    if (fresh.allocate(4096, kMaxPlainDepth) != simdjson::SUCCESS) {
      return simdjson::dom::parser();
    }
    return fresh;
  }();
  return parser;
}

/// The value of the last member named `key` (nlohmann keeps the last of duplicate keys,
/// simdjson's lookup finds the first), or nullopt.
std::optional<element> last_member(const element& object, std::string_view key) {
  simdjson::dom::object members;
  if (object.get(members) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  std::optional<element> found;
  for (const simdjson::dom::key_value_pair field : members) {
    if (field.key == key) {
      found = field.value;
    }
  }
  return found;
}

/// token_count_member's rule: an integer 0 or more, else nullopt. false when the member is
/// an unsigned integer beyond int64, which nlohmann would wrap: the full reader decides then.
bool read_integer(const element& object, std::string_view key, std::optional<std::int64_t>& out) {
  const auto value = last_member(object, key);
  if (!value) {
    return true;
  }
  if (value->type() == element_type::UINT64) {
    return false;
  }
  if (value->type() == element_type::INT64 && value->get_int64().value_unsafe() >= 0) {
    out = value->get_int64().value_unsafe();
  }
  return true;
}

/// "tool_calls" absent, null or [] -- the message's text is then the whole answer.
bool calls_no_tools(const element& message) {
  const auto calls = last_member(message, "tool_calls");
  if (!calls || calls->is_null()) {
    return true;
  }
  simdjson::dom::array list;
  return calls->get(list) == simdjson::SUCCESS && list.size() == 0;
}

}  // namespace

std::optional<PlainChatAnswer> read_plain_chat_answer(std::string_view body) {
  element root;
  // parse() copies the body into its padded buffer: std::string has no padding to lend.
  if (thread_parser().parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    return std::nullopt;
  }
  const auto choices = last_member(root, "choices");
  simdjson::dom::array list;
  if (!choices || choices->get(list) != simdjson::SUCCESS || list.size() == 0) {
    return std::nullopt;
  }
  const element choice = list.at(0).value_unsafe();
  const auto message = last_member(choice, "message");
  if (!message || !message->is_object() || !calls_no_tools(*message)) {
    return std::nullopt;
  }
  const auto content = last_member(*message, "content");
  if (!content || !(content->is_string() || content->is_null())) {
    return std::nullopt;
  }
  PlainChatAnswer answer;
  if (content->is_string()) {
    answer.content = std::string(content->get_string().value_unsafe());
  }
  if (const auto finish = last_member(choice, "finish_reason"); finish && finish->is_string()) {
    answer.finish_reason = std::string(finish->get_string().value_unsafe());
  }
  if (const auto usage = last_member(root, "usage")) {
    if (!read_integer(*usage, "prompt_tokens", answer.usage.prompt_tokens) ||
        !read_integer(*usage, "completion_tokens", answer.usage.completion_tokens)) {
      return std::nullopt;
    }
  }
  return answer;
}

}  // namespace promptbench
