// SPDX-License-Identifier: Apache-2.0
// JSON pointers: escaping, parsing and lookup, with nlohmann's exceptions kept inside.
#include "util/json_pointer.hpp"

namespace promptbench::util {

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out += '/';
  out += escape_pointer_token(token);
  return out;
}

std::optional<nlohmann::json::json_pointer> parse_pointer(const std::string& text) {
  try {
    return nlohmann::json::json_pointer(text);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

const nlohmann::json* find_pointer(const nlohmann::json& document,
                                   const nlohmann::json::json_pointer& pointer) {
  // at() throws for every way a pointer can miss (a missing member, "/-", "/01", an index
  // past the end, a step into a scalar); a miss is an ordinary answer here.
  try {
    return &document.at(pointer);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

}  // namespace promptbench::util
