// SPDX-License-Identifier: Apache-2.0
// The fast path for reading a chat completion. Nearly every answer has the same plain
// shape: one choice whose message is text, a finish reason and the usage. simdjson reads
// that shape in a tenth of the time an nlohmann tree takes; anything else -- tool calls,
// content as parts, invalid JSON, a field of an unexpected type -- is left to the
// provider's full reader, which gives the detailed errors. Both read the same values:
// the last of duplicate keys, integers only where nlohmann sees an integer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "promptbench/provider.hpp"

namespace promptbench {

struct PlainChatAnswer {
  std::string content;
  std::string finish_reason;  ///< empty when absent or not text
  Usage usage;
};

/// An OpenAI-style chat completion body of the plain shape: choices[0].message.content is
/// text or null, and the message calls no tools. nullopt for any other body.
[[nodiscard]] std::optional<PlainChatAnswer> read_plain_chat_answer(std::string_view body);

}  // namespace promptbench
