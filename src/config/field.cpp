// SPDX-License-Identifier: Apache-2.0
// Typed, located access to config values.
#include "config/field.hpp"

#include "promptbench/config.hpp"
#include "util/json_pointer.hpp"
#include "util/json_type.hpp"
#include "util/text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace promptbench::config {

std::string type_name(const nlohmann::json& value) {
  return util::json_type_name(value);
}

Field::Field(const LocatedDocument& doc, const nlohmann::json& value, std::string pointer,
             std::string path)
    : m_doc(&doc), m_value(&value), m_pointer(std::move(pointer)), m_path(std::move(path)) {}

Field Field::root(const LocatedDocument& doc) {
  return Field(doc, doc.root, "", "");
}

void Field::fail(const std::string& message) const {
  throw UserError(where(), m_path, message);
}

void Field::fail_at_key(const std::string& member, const std::string& message) const {
  const std::string path = m_path.empty() ? member : m_path + "." + member;
  throw UserError(m_doc->where_key(util::pointer_append(m_pointer, member)), path, message);
}

std::string Field::as_string() const {
  if (m_value->is_string()) {
    return m_value->get<std::string>();
  }
  // A YAML plain scalar like 42 or true was resolved to a number/bool; where text is
  // expected, its written form is what the user meant.
  if (m_value->is_number_integer() || m_value->is_boolean()) {
    return m_value->dump();
  }
  fail(fmt::format("expected a string, got {}", type_name(*m_value)));
}

std::string Field::as_nonempty_string() const {
  std::string text = as_string();
  if (text.empty()) {
    fail("must not be empty");
  }
  return text;
}

double Field::as_number() const {
  if (!m_value->is_number()) {
    fail(fmt::format("expected a number, got {}", type_name(*m_value)));
  }
  // YAML's .inf and .nan are numbers, but no limit, price or level means anything as one.
  const double number = m_value->get<double>();
  if (!std::isfinite(number)) {
    fail(fmt::format("expected a finite number, got {}",
                     std::isnan(number) ? ".nan" : (number > 0 ? ".inf" : "-.inf")));
  }
  return number;
}

int Field::as_int(int min, int max) const {
  if (!m_value->is_number_integer()) {
    fail(fmt::format("expected an integer, got {}", type_name(*m_value)));
  }
  const auto value = m_value->get<long long>();
  if (value < min || value > max) {
    fail(fmt::format("must be between {} and {}, got {}", min, max, value));
  }
  return static_cast<int>(value);
}

bool Field::as_bool() const {
  if (!m_value->is_boolean()) {
    fail(fmt::format("expected true or false, got {}", type_name(*m_value)));
  }
  return m_value->get<bool>();
}

std::chrono::milliseconds Field::as_duration() const {
  std::optional<std::chrono::milliseconds> duration;
  if (m_value->is_number()) {
    // A number is seconds, read as its text would be (so the same limits hold).
    duration = parse_duration(fmt::format("{}s", m_value->get<double>()));
  } else if (m_value->is_string()) {
    duration = parse_duration(m_value->get<std::string>());
  }
  if (!duration) {
    fail(fmt::format("expected a duration like 30s, 500ms or 2m, got {}", m_value->dump()));
  }
  return *duration;
}

std::chrono::milliseconds Field::as_positive_duration() const {
  // A negative duration is refused for its sign, not as "not a duration".
  const bool negative = (m_value->is_number() && m_value->get<double>() < 0) ||
                        (m_value->is_string() && m_value->get<std::string>().starts_with('-') &&
                         parse_duration(m_value->get<std::string>().substr(1)));
  if (negative || as_duration().count() <= 0) {
    fail(fmt::format("must be greater than 0, got {}", written()));
  }
  return as_duration();
}

std::string Field::written() const {
  return m_value->is_string() ? m_value->get<std::string>() : m_value->dump();
}

std::size_t Field::as_byte_size() const {
  if (m_value->is_number_integer() && m_value->get<long long>() > 0) {
    return static_cast<std::size_t>(m_value->get<long long>());
  }
  if (m_value->is_string()) {
    const std::string text = m_value->get<std::string>();
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      ++digits;
    }
    const std::string unit = text.substr(digits);
    const std::size_t multiplier = unit.empty() || unit == "B"     ? 1
                                   : unit == "KiB" || unit == "KB" ? 1u << 10
                                   : unit == "MiB" || unit == "MB" ? 1u << 20
                                   : unit == "GiB" || unit == "GB" ? 1u << 30
                                                                   : 0;
    if (digits > 0 && digits < 12 && multiplier != 0) {
      return std::stoull(text.substr(0, digits)) * multiplier;
    }
  }
  fail(fmt::format("expected a size like 16MiB, 512KiB or a number of bytes, got {}",
                   m_value->dump()));
}

void Field::expect_object(std::initializer_list<const char*> known) const {
  expect_mapping();
  for (const auto& [key, value] : m_value->items()) {
    bool found = false;
    for (const char* name : known) {
      found = found || key == name;
    }
    if (!found) {
      fail_at_key(key, fmt::format("unknown key '{}'{}", key, util::did_you_mean(key, known)));
    }
  }
}

void Field::expect_mapping() const {
  if (!m_value->is_object()) {
    fail(fmt::format("expected a mapping, got {}", type_name(*m_value)));
  }
}

void Field::expect_array() const {
  if (!m_value->is_array()) {
    fail(fmt::format("expected a list, got {}", type_name(*m_value)));
  }
}

bool Field::has(const std::string& key) const {
  return m_value->is_object() && m_value->contains(key);
}

Field Field::child(const std::string& key) const {
  return Field(*m_doc, (*m_value)[key], util::pointer_append(m_pointer, key),
               m_path.empty() ? key : m_path + "." + key);
}

std::optional<Field> Field::find(const std::string& key) const {
  if (!has(key)) {
    return std::nullopt;
  }
  return child(key);
}

Field Field::require(const std::string& key) const {
  if (!has(key)) {
    fail(fmt::format("missing required field '{}'", key));
  }
  return child(key);
}

std::vector<Field> Field::items() const {
  expect_array();
  std::vector<Field> out;
  for (std::size_t i = 0; i < m_value->size(); ++i) {
    out.emplace_back(*m_doc, (*m_value)[i], m_pointer + "/" + std::to_string(i),
                     fmt::format("{}[{}]", m_path, i));
  }
  return out;
}

std::vector<std::pair<std::string, Field>> Field::members() const {
  std::vector<std::pair<std::string, Field>> out;
  for (const auto& [key, value] : m_value->items()) {
    out.emplace_back(key, child(key));
  }
  return out;
}

}  // namespace promptbench::config
