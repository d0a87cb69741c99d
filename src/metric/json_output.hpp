// SPDX-License-Identifier: Apache-2.0
// Finds the JSON value in a model's output: the whole text, or a ``` fenced block in it.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace promptbench {

/// The output parsed as JSON: first the whole text (surrounding whitespace allowed); failing
/// that, when `allow_fence`, the first ``` fenced block anywhere in the text that parses
/// (its info string, e.g. `json`, is skipped to the end of the fence line). nullopt when
/// nothing parses.
[[nodiscard]] std::optional<nlohmann::json> parse_json_output(std::string_view output,
                                                              bool allow_fence);

}  // namespace promptbench
