// SPDX-License-Identifier: Apache-2.0
// A case's slice value, and the few words every output uses about slices.
#include "promptbench/slices.hpp"

#include <fmt/format.h>

#include "util/json_type.hpp"

namespace promptbench {

std::optional<std::string> slice_text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_number() || value.is_boolean()) {
    return value.dump();
  }
  return std::nullopt;
}

std::string slice_value(const nlohmann::json& vars, const std::string& field,
                        const SourceLocation& where) {
  const auto found = vars.is_object() ? vars.find(field) : vars.end();
  if (found == vars.end()) {
    throw UserError(where, field, "the row has no field '" + field + "' (a slice of the config)");
  }
  std::optional<std::string> text = slice_text(*found);
  if (!text) {
    throw UserError(where, field,
                    fmt::format("a slice value must be a string, number or boolean, got {}",
                                util::json_type_name(*found)));
  }
  return std::move(*text);
}

std::string slice_label(const std::string& field, const std::string& value) {
  return field + "=" + value;
}

std::string slice_not_gated(std::size_t cases, std::size_t min_cases) {
  return cases < min_cases ? fmt::format("n={} < {}: not gated", cases, min_cases) : "";
}

nlohmann::ordered_json to_json(const GateSlice& slice) {
  if (slice.field.empty()) {
    return "each";
  }
  return {{slice.field, slice.each ? std::string("each") : slice.value}};
}

std::optional<GateSlice> gate_slice_from_json(const nlohmann::ordered_json& json) {
  if (json.is_string() && json.get<std::string>() == "each") {
    return GateSlice{"", "", true};
  }
  if (!json.is_object() || json.size() != 1 || !json.begin().value().is_string()) {
    return std::nullopt;
  }
  const std::string value = json.begin().value().get<std::string>();
  return value == "each" ? GateSlice{json.begin().key(), "", true}
                         : GateSlice{json.begin().key(), value, false};
}

}  // namespace promptbench
