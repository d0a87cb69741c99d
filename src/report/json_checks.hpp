// SPDX-License-Identifier: Apache-2.0
// Type checks for reading a report, each failure a UserError naming the report and the
// field ("r.json: cases[0].results[1].variant: expected a string, got a number").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace promptbench::report_checks {

using Json = nlohmann::ordered_json;

/// "null", "a boolean", "a string", "an array", "an object" or "a number".
[[nodiscard]] std::string type_name(const Json& value);

[[noreturn]] void fail(const std::string& report, const std::string& field,
                       const std::string& message);

/// Fails with "expected <expected>, got <type>" unless `ok`.
void expect(bool ok, const Json& value, const std::string& report, const std::string& field,
            const char* expected);

/// A count: an integer, 0 or more (converting anything else to size_t is undefined
/// behaviour: a negative, a fraction, 6.7e37).
[[nodiscard]] bool is_count(const Json& value);

/// `object[key]`, or null when `object` is not an object or lacks `key` (never inserts).
[[nodiscard]] const Json& member(const Json& object, const char* key);

/// `object[key]` must be absent or null, or pass `ok`.
template <typename Check>
void optional_field(const Json& object, const char* key, const std::string& report,
                    const std::string& field, const char* expected, Check ok) {
  const auto it = object.find(key);
  if (it != object.end() && !it->is_null()) {
    expect(ok(*it), *it, report, field.empty() ? key : field + "." + key, expected);
  }
}

}  // namespace promptbench::report_checks
