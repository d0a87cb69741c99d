// SPDX-License-Identifier: Apache-2.0
// The name of a JSON value's type in messages, in YAML's words (the config is usually YAML).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace promptbench::util {

/// "null", "boolean", "string", "list", "mapping" or "number".
[[nodiscard]] std::string json_type_name(const nlohmann::json& value);

}  // namespace promptbench::util
