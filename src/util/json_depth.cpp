// SPDX-License-Identifier: Apache-2.0
// A bracket counter that skips strings. nlohmann's parse callback also reports the depth,
// but not where in the text it is, and it runs the slower callback parser on every row.
#include "util/json_depth.hpp"

namespace promptbench::util {

std::optional<std::size_t> find_nesting_beyond(std::string_view json, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return i;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace promptbench::util
