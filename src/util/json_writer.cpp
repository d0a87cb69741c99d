// SPDX-License-Identifier: Apache-2.0
#include "util/json_writer.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "util/utf8.hpp"

namespace promptbench::util {

namespace {

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

/// The escape nlohmann writes for a byte below 0x20, a quote or a backslash; empty for a
/// byte written as it is.
struct EscapeTable {
  std::array<std::string_view, 256> escapes{};
  std::array<std::array<char, 6>, 0x20> unicode{};

  constexpr EscapeTable() {
    constexpr std::string_view kHex = "0123456789abcdef";
    for (unsigned c = 0; c < 0x20; ++c) {
      unicode[c] = {'\\', 'u', '0', '0', kHex[c >> 4U], kHex[c & 0xFU]};
      escapes[c] = std::string_view(unicode[c].data(), unicode[c].size());
    }
    escapes['\b'] = "\\b";
    escapes['\t'] = "\\t";
    escapes['\n'] = "\\n";
    escapes['\f'] = "\\f";
    escapes['\r'] = "\\r";
    escapes['"'] = "\\\"";
    escapes['\\'] = "\\\\";
  }
};

const EscapeTable kEscapes;

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out += '"';
  std::size_t plain = 0;  // start of the bytes not yet copied
  bool checked_utf8 = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
      continue;  // the common case: printable ASCII, copied later in one piece
    }
    if (byte >= 0x80 && !checked_utf8) {
      // Invalid UTF-8 is rare and nlohmann's replacement rules are subtle: let it write the
      // whole string rather than imitate them.
      if (!is_valid_utf8(text.substr(i))) {
        out.resize(start);
        out += nlohmann::json(std::string(text)).dump(-1, ' ', false, kReplace);
        return;
      }
      checked_utf8 = true;
    }
    const std::string_view escape = kEscapes.escapes[byte];
    if (!escape.empty()) {
      out.append(text.data() + plain, i - plain);
      out += escape;
      plain = i + 1;
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  // The routine nlohmann's serializer itself calls for doubles; its output (Grisu2 with
  // nlohmann's own formatting, "1.0" and "1e-05") is what the byte-for-byte promise needs.
  std::array<char, 64> buffer{};
  const char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
}

void append_json_number(std::string& out, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_json_number(std::string& out, std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

namespace {

/// dump()'s walk, with this file's string and number writers.
template <typename Json>
void append_tree(std::string& out, const Json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        out += first ? "" : ",";
        first = false;
        append_json_string(out, key);
        out += ':';
        append_tree(out, member);
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value) {
        out += first ? "" : ",";
        first = false;
        append_tree(out, element);
      }
      out += ']';
      return;
    }
    case nlohmann::json::value_t::string:
      append_json_string(out, value.template get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::number_integer:
      append_json_number(out, value.template get<std::int64_t>());
      return;
    case nlohmann::json::value_t::number_unsigned:
      append_json_number(out, value.template get<std::uint64_t>());
      return;
    case nlohmann::json::value_t::number_float:
      append_json_number(out, value.template get<double>());
      return;
    case nlohmann::json::value_t::boolean:
      out += value.template get<bool>() ? "true" : "false";
      return;
    case nlohmann::json::value_t::null:
      out += "null";
      return;
    default:  // binary and discarded values: no reader of ours makes them
      out += value.dump(-1, ' ', false, kReplace);
  }
}

}  // namespace

void append_json_value(std::string& out, const nlohmann::json& value) {
  append_tree(out, value);
}

void append_json_value(std::string& out, const nlohmann::ordered_json& value) {
  append_tree(out, value);
}

void JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(m_out, name);
  m_out += ':';
  m_after_key = true;
}

void JsonWriter::string(std::string_view text) {
  separate();
  append_json_string(m_out, text);
}

void JsonWriter::number(double value) {
  separate();
  append_json_number(m_out, value);
}

void JsonWriter::number(std::int64_t value) {
  separate();
  append_json_number(m_out, value);
}

void JsonWriter::number(std::uint64_t value) {
  separate();
  append_json_number(m_out, value);
}

void JsonWriter::boolean(bool value) {
  separate();
  m_out += value ? "true" : "false";
}

void JsonWriter::null() {
  separate();
  m_out += "null";
}

void JsonWriter::value(const nlohmann::json& value) {
  separate();
  append_json_value(m_out, value);
}

void JsonWriter::value(const nlohmann::ordered_json& value) {
  separate();
  append_json_value(m_out, value);
}

void JsonWriter::raw(std::string_view json) {
  separate();
  m_out += json;
}

void JsonWriter::string_or_null(const std::optional<std::string>& text) {
  text ? string(*text) : null();
}

void JsonWriter::number_or_null(const std::optional<double>& value) {
  value ? number(*value) : null();
}

void JsonWriter::number_or_null(const std::optional<std::int64_t>& value) {
  value ? number(*value) : null();
}

void JsonWriter::open(char bracket) {
  separate();
  if (m_depth == 64) {
    throw std::logic_error("JsonWriter: nested deeper than 64 levels");
  }
  m_out += bracket;
  m_empty = (m_empty << 1U) | 1U;
  ++m_depth;
}

void JsonWriter::close(char bracket) {
  m_out += bracket;
  m_empty >>= 1U;
  --m_depth;
}

void JsonWriter::separate() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_depth > 0) {
    if ((m_empty & 1U) == 0) {
      m_out += ',';
    }
    m_empty &= ~std::uint64_t{1};
  }
}

}  // namespace promptbench::util
