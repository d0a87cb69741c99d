// SPDX-License-Identifier: Apache-2.0
#include "report/json_checks.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "promptbench/error.hpp"

namespace promptbench::report_checks {

bool is_count(const Json& value) {
  return value.is_number_unsigned() ||
         (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

std::string type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

void fail(const std::string& report, const std::string& field, const std::string& message) {
  throw UserError(SourceLocation{report, 0, 0}, field, message);
}

void expect(bool ok, const Json& value, const std::string& report, const std::string& field,
            const char* expected) {
  if (!ok) {
    fail(report, field, fmt::format("expected {}, got {}", expected, type_name(value)));
  }
}

const Json& member(const Json& object, const char* key) {
  static const Json null;
  if (!object.is_object()) {
    return null;
  }
  const auto it = object.find(key);
  return it == object.end() ? null : *it;
}

}  // namespace promptbench::report_checks
