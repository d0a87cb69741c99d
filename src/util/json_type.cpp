// SPDX-License-Identifier: Apache-2.0
// JSON type names for messages.
#include "util/json_type.hpp"

namespace promptbench::util {

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::array:
      return "list";
    case nlohmann::json::value_t::object:
      return "mapping";
    default:
      return "number";
  }
}

}  // namespace promptbench::util
