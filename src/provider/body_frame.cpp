// SPDX-License-Identifier: Apache-2.0
#include "provider/body_frame.hpp"

#include <algorithm>
#include <map>

#include "util/json_writer.hpp"

namespace promptbench {

BodyFrame::BodyFrame(const nlohmann::json& fixed, const std::vector<std::string>& slots) {
  // nlohmann::json keeps an object's members in a std::map: dump() writes them in
  // std::less<std::string> order, which this frame reproduces.
  std::map<std::string, Member> members;
  for (const auto& [name, value] : fixed.items()) {
    Member& member = members[name];
    util::append_json_string(member.key, name);
    member.fixed = member.key + ':';
    util::append_json_value(member.fixed, value);
    m_fixed_bytes += member.fixed.size() + 1;
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    Member& member = members[slots[i]];
    if (member.key.empty()) {
      util::append_json_string(member.key, slots[i]);
    }
    member.slot = static_cast<int>(i);
  }
  for (auto& [name, member] : members) {
    m_members.push_back(std::move(member));
  }
}

std::string BodyFrame::build(const std::vector<std::optional<std::string_view>>& values) const {
  std::size_t size = m_fixed_bytes + 2;
  for (const auto& value : values) {
    size += value ? value->size() + 32 : 0;
  }
  std::string body;
  body.reserve(size);
  body += '{';
  bool first = true;
  for (const Member& member : m_members) {
    const std::optional<std::string_view> value =
        member.slot >= 0 ? values.at(static_cast<std::size_t>(member.slot)) : std::nullopt;
    if (!value && member.fixed.empty()) {
      continue;
    }
    if (!first) {
      body += ',';
    }
    first = false;
    if (value) {
      body += member.key;
      body += ':';
      body += *value;
    } else {
      body += member.fixed;
    }
  }
  body += '}';
  return body;
}

void write_chat_message(util::JsonWriter& json, const ChatMessage& message) {
  json.begin_object();
  json.key("content");
  json.string(message.content);
  json.key("role");
  json.string(message.role);
  json.end_object();
}

}  // namespace promptbench
