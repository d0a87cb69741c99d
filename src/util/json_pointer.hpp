// SPDX-License-Identifier: Apache-2.0
// JSON pointers (RFC 6901), one home: escaping a member name into a pointer, parsing a
// pointer the user wrote and finding the value it names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace promptbench::util {

/// `token` as one reference token: '~' becomes "~0" and '/' becomes "~1".
[[nodiscard]] std::string escape_pointer_token(std::string_view token);

/// The pointer to member (or index) `token` of the value at `pointer`:
/// pointer_append("/a", "b/c") == "/a/b~1c".
[[nodiscard]] std::string pointer_append(std::string_view pointer, std::string_view token);

/// `text` as a pointer; nullopt when it is not one (no leading '/', "~" not followed by 0
/// or 1). The empty text is the whole document.
[[nodiscard]] std::optional<nlohmann::json::json_pointer> parse_pointer(const std::string& text);

/// The value `pointer` names in `document`, or nullptr when there is none (a missing
/// member, an index past the end or not a number, a step into a string or a number).
[[nodiscard]] const nlohmann::json* find_pointer(const nlohmann::json& document,
                                                 const nlohmann::json::json_pointer& pointer);

}  // namespace promptbench::util
