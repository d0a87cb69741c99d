// SPDX-License-Identifier: Apache-2.0
// JSON in model output: strict nlohmann parsing of the text or of its fenced code blocks.
#include "metric/json_output.hpp"

namespace promptbench {

namespace {

std::optional<nlohmann::json> parse_strict(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<nlohmann::json> parse_json_output(std::string_view output, bool allow_fence) {
  if (auto value = parse_strict(output)) {
    return value;
  }
  if (!allow_fence) {
    return std::nullopt;
  }
  constexpr std::string_view kFence = "```";
  std::size_t open = output.find(kFence);
  while (open != std::string_view::npos) {
    const std::size_t line_end = output.find('\n', open + kFence.size());
    if (line_end == std::string_view::npos) {
      return std::nullopt;
    }
    const std::size_t close = output.find(kFence, line_end + 1);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    if (auto value = parse_strict(output.substr(line_end + 1, close - line_end - 1))) {
      return value;
    }
    open = output.find(kFence, close + kFence.size());
  }
  return std::nullopt;
}

}  // namespace promptbench
