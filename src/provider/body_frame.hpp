// SPDX-License-Identifier: Apache-2.0
// A provider's request body is the same JSON object for every case but for one or two
// members (the messages, the system prompt). BodyFrame serializes the fixed members once
// and writes each body as text around the members that change, in the key order
// nlohmann::json::dump() uses, so that a body -- and the cache key hashed from it -- is
// byte for byte what dumping the whole object would give.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/prompt.hpp"
#include "util/json_writer.hpp"

namespace promptbench {

class BodyFrame {
 public:
  /// `fixed`: an object of the members that never change. `slots`: the names of the members
  /// written per request; a request's value wins over a fixed member of the same name.
  BodyFrame(const nlohmann::json& fixed, const std::vector<std::string>& slots);

  /// The body with `values[i]` (JSON text) as the member named `slots[i]`; a nullopt
  /// leaves the fixed member of that name, or nothing.
  [[nodiscard]] std::string build(const std::vector<std::optional<std::string_view>>& values) const;

 private:
  struct Member {
    std::string key;    ///< quoted
    std::string fixed;  ///< "\"key\":value" of the fixed member, or empty
    int slot = -1;      ///< index into the request's values, or -1 for a fixed member
  };
  std::vector<Member> m_members;  ///< in nlohmann's key order
  std::size_t m_fixed_bytes = 0;
};

/// A chat message as the chat APIs take it, {"content": ..., "role": ...}: the keys in
/// nlohmann's order, as bodies were once dumped trees (and cache keys hash the bytes).
void write_chat_message(util::JsonWriter& json, const ChatMessage& message);

}  // namespace promptbench
