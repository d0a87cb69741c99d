// SPDX-License-Identifier: Apache-2.0
// Typed access to a metric's parameters, with messages that match the config loader's.
#include <algorithm>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "util/json_type.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

/// The words the config loader uses, so a user sees one vocabulary (YAML's, not JSON's).
std::string type_name(const nlohmann::json& value) {
  return util::json_type_name(value);
}

/// A YAML plain scalar like 42 or true arrives resolved; where text is expected, its written
/// form is what the user meant (as in the config loader).
std::optional<std::string> as_text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_number_integer() || value.is_boolean()) {
    return value.dump();
  }
  return std::nullopt;
}

const std::vector<std::string> kCommonKeys = {"name", "threshold", "higher_is_better", "reference"};

}  // namespace

void MetricParams::allow_only(std::initializer_list<const char*> known) const {
  if (!m_params.is_object()) {
    return;
  }
  std::vector<std::string> allowed(known.begin(), known.end());
  allowed.insert(allowed.end(), kCommonKeys.begin(), kCommonKeys.end());
  for (const auto& [key, value] : m_params.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
      continue;
    }
    throw ParamError(
        key, fmt::format("unknown parameter '{}'{}", key, util::did_you_mean(key, allowed)));
  }
}

bool MetricParams::has(const std::string& key) const {
  return m_params.is_object() && m_params.contains(key);
}

std::string MetricParams::get_string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) {
    return fallback;
  }
  const nlohmann::json& value = m_params.at(key);
  if (auto text = as_text(value)) {
    return *text;
  }
  throw ParamError(key, fmt::format("expected a string, got {}", type_name(value)));
}

double MetricParams::get_number(const std::string& key, double fallback) const {
  return get_optional_number(key).value_or(fallback);
}

std::optional<double> MetricParams::get_optional_number(const std::string& key) const {
  if (!has(key)) {
    return std::nullopt;
  }
  const nlohmann::json& value = m_params.at(key);
  if (!value.is_number()) {
    throw ParamError(key, fmt::format("expected a number, got {}", type_name(value)));
  }
  return value.get<double>();
}

bool MetricParams::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) {
    return fallback;
  }
  const nlohmann::json& value = m_params.at(key);
  if (!value.is_boolean()) {
    throw ParamError(key, fmt::format("expected true or false, got {}", type_name(value)));
  }
  return value.get<bool>();
}

std::vector<std::string> MetricParams::get_string_list(const std::string& key) const {
  if (!has(key)) {
    return {};
  }
  const nlohmann::json& value = m_params.at(key);
  if (auto text = as_text(value)) {
    return {*text};
  }
  if (!value.is_array()) {
    throw ParamError(
        key, fmt::format("expected a string or a list of strings, got {}", type_name(value)));
  }
  std::vector<std::string> items;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto text = as_text(value[i]);
    if (!text) {
      throw ParamError(
          key, fmt::format("expected a list of strings, got a {} at [{}]", type_name(value[i]), i));
    }
    items.push_back(*text);
  }
  return items;
}

}  // namespace promptbench
