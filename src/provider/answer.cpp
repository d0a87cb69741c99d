// SPDX-License-Identifier: Apache-2.0
// What the chat providers share to read their options and answers (answer.hpp).
#include "provider/answer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"
#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/json_type.hpp"
#include "util/utf8.hpp"

namespace promptbench {

StreamOptions read_stream_options(const nlohmann::json& options) {
  StreamOptions result;
  if (!options.is_object()) {
    return result;
  }
  if (auto stream = options.find("stream"); stream != options.end()) {
    if (!stream->is_boolean()) {
      throw OptionError(
          "stream", fmt::format("expected true or false, got {}", util::json_type_name(*stream)));
    }
    result.stream = stream->get<bool>();
  }
  if (auto idle = options.find("idle_timeout"); idle != options.end()) {
    // The same forms as the common `timeout:`: "30s", "500ms", "2m" or a number of seconds.
    std::optional<std::chrono::milliseconds> duration;
    if (idle->is_number()) {
      duration = parse_duration(fmt::format("{}s", idle->get<double>()));
    } else if (idle->is_string()) {
      duration = parse_duration(idle->get<std::string>());
    }
    if (!duration) {
      throw OptionError(
          "idle_timeout",
          fmt::format("expected a duration like 30s, 500ms or 2m, got {}", idle->dump()));
    }
    result.idle_timeout = *duration;
  }
  return result;
}

nlohmann::json tool_arguments(const std::string& text) {
  if (util::find_nesting_beyond(text, util::kMaxNestingDepth)) {
    return text;
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(text) : parsed;
}

std::string completion_text(const std::string& content, const nlohmann::json& tool_calls) {
  if (tool_calls.is_null()) {
    return content;
  }
  return tool_calls_output(content.empty() ? std::nullopt : std::optional(content), tool_calls);
}

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kAbsent;
  if (!object.is_object()) {
    return kAbsent;
  }
  const auto found = object.find(key);
  return found != object.end() ? *found : kAbsent;
}

std::string string_member(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::optional<std::int64_t> integer_member(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = member(object, key);
  if (value.is_number_integer()) {
    return value.get<std::int64_t>();
  }
  return std::nullopt;
}

std::optional<std::int64_t> token_count_member(const nlohmann::json& object, const char* key) {
  const std::optional<std::int64_t> count = integer_member(object, key);
  return count && *count >= 0 ? count : std::nullopt;
}

std::string quoted_start(std::string_view body) {
  constexpr std::size_t kShown = 60;
  std::string start(util::utf8_prefix(body, kShown));
  const bool cut = start.size() < body.size();
  std::replace_if(
      start.begin(), start.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (start.empty()) {
    return "(empty)";
  }
  return "'" + start + (cut ? "...'" : "'");
}

}  // namespace promptbench
