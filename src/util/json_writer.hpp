// SPDX-License-Identifier: Apache-2.0
// JSON text written straight into a string, for the per-case hot path (request bodies,
// report case lines), without building an nlohmann tree first. The bytes are exactly those
// nlohmann::json::dump(-1, ' ', false, error_handler_t::replace) writes for the same
// values, so reports and cache keys do not change with the way they are produced; the unit
// tests hold the two side by side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace promptbench::util {

/// Appends `text` as a quoted JSON string. Control characters are escaped as nlohmann
/// escapes them; invalid UTF-8 becomes U+FFFD exactly where nlohmann puts it.
void append_json_string(std::string& out, std::string_view text);

/// Appends `value` as nlohmann writes a double: shortest round trip, "1.0" for integral
/// values, null for NaN and infinities.
void append_json_number(std::string& out, double value);
void append_json_number(std::string& out, std::int64_t value);
void append_json_number(std::string& out, std::uint64_t value);

/// Appends `value` serialized compactly, with invalid UTF-8 replaced.
void append_json_value(std::string& out, const nlohmann::json& value);
void append_json_value(std::string& out, const nlohmann::ordered_json& value);

/// Writes one JSON document into `out`, placing the commas. Keys are written in the order
/// they are given (the caller keeps nlohmann's order where bytes must match).
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : m_out(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  /// The next member's key; the value follows with one of the calls below.
  void key(std::string_view name);

  void string(std::string_view text);
  void number(double value);
  void number(std::int64_t value);
  void number(std::uint64_t value);
  void number(int value) { number(static_cast<std::int64_t>(value)); }
  void boolean(bool value);
  void null();
  void value(const nlohmann::json& value);
  void value(const nlohmann::ordered_json& value);
  /// Text that is already JSON, written as it is.
  void raw(std::string_view json);

  void string_or_null(const std::optional<std::string>& text);
  void number_or_null(const std::optional<double>& value);
  void number_or_null(const std::optional<std::int64_t>& value);

 private:
  void open(char bracket);
  void close(char bracket);
  /// The comma before a value, unless it is the first in its container or follows a key.
  void separate();

  std::string& m_out;
  /// One bit per open container, innermost lowest: set while it is still empty. The
  /// writers that use this class nest a few levels; deeper than 64 is a logic error.
  std::uint64_t m_empty = 0;
  int m_depth = 0;
  bool m_after_key = false;
};

}  // namespace promptbench::util
