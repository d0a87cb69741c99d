// SPDX-License-Identifier: Apache-2.0
// A typed, located view of one value in a config document. Every accessor that finds the
// wrong shape throws a UserError naming file:line:col and the field path.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "config/document.hpp"

namespace promptbench::config {

class Field {
 public:
  Field(const LocatedDocument& doc, const nlohmann::json& value, std::string pointer,
        std::string path);
  static Field root(const LocatedDocument& doc);

  [[nodiscard]] const nlohmann::json& value() const { return *m_value; }
  [[nodiscard]] const std::string& path() const { return m_path; }
  [[nodiscard]] const std::string& pointer() const { return m_pointer; }
  [[nodiscard]] SourceLocation where() const { return m_doc->where(m_pointer); }
  [[nodiscard]] const LocatedDocument& document() const { return *m_doc; }

  [[noreturn]] void fail(const std::string& message) const;
  /// Fails at the key of `member` (for unknown or misplaced keys).
  [[noreturn]] void fail_at_key(const std::string& member, const std::string& message) const;

  /// The value as the user wrote it, for messages: a string's text, else its JSON.
  [[nodiscard]] std::string written() const;

  [[nodiscard]] bool is_null() const { return m_value->is_null(); }
  [[nodiscard]] bool is_string() const { return m_value->is_string(); }
  [[nodiscard]] bool is_object() const { return m_value->is_object(); }
  [[nodiscard]] bool is_array() const { return m_value->is_array(); }

  [[nodiscard]] std::string as_string() const;
  [[nodiscard]] std::string as_nonempty_string() const;
  /// A finite number (YAML's .inf and .nan are refused).
  [[nodiscard]] double as_number() const;
  [[nodiscard]] int as_int(int min, int max) const;
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] std::chrono::milliseconds as_duration() const;
  /// A duration greater than 0: 0 and negative ones fail with "must be greater than 0".
  [[nodiscard]] std::chrono::milliseconds as_positive_duration() const;
  [[nodiscard]] std::size_t as_byte_size() const;

  /// Requires an object whose keys are all in `known`; an unknown key fails at the key
  /// with a "did you mean".
  void expect_object(std::initializer_list<const char*> known) const;
  void expect_array() const;
  /// Requires an object, whatever its keys (parameters checked elsewhere).
  void expect_mapping() const;

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] std::optional<Field> find(const std::string& key) const;
  /// The member `key`; fails with "missing required field" when absent.
  [[nodiscard]] Field require(const std::string& key) const;
  [[nodiscard]] std::vector<Field> items() const;
  /// Members of an object in document order is not kept by JSON; this is key order.
  [[nodiscard]] std::vector<std::pair<std::string, Field>> members() const;

 private:
  [[nodiscard]] Field child(const std::string& key) const;
  const LocatedDocument* m_doc;
  const nlohmann::json* m_value;
  std::string m_pointer;
  std::string m_path;
};

/// JSON type name for messages: "string", "number", "object", ...
[[nodiscard]] std::string type_name(const nlohmann::json& value);

}  // namespace promptbench::config
