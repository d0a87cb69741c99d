// SPDX-License-Identifier: Apache-2.0
// Messages shared by the dataset readers, so every format words the same mistake alike.
#include "dataset/reader_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/utf8.hpp"

namespace promptbench::dataset {

std::string parse_error_reason(const nlohmann::json::exception& error) {
  const std::string_view what = error.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 5: <reason>"
  const std::size_t position = what.find("parse error");
  const std::size_t colon =
      position == std::string_view::npos ? what.npos : what.find(": ", position);
  if (colon != std::string_view::npos) {
    return std::string(what.substr(colon + 2));
  }
  // "[json.exception.out_of_range.406] number overflow parsing '1e400'"
  const std::size_t bracket = what.starts_with('[') ? what.find("] ") : what.npos;
  return std::string(bracket == std::string_view::npos ? what : what.substr(bracket + 2));
}

std::string describe_byte(int c) {
  if (c < 0) {
    return "end of input";
  }
  if (c >= 0x20 && c < 0x7F) {
    return fmt::format("'{}'", static_cast<char>(c));
  }
  return fmt::format("byte 0x{:02X}", c);
}

UserError malformed_json(const std::string& file, std::size_t line, const std::string& reason) {
  return UserError(SourceLocation{file, line, 0}, "", "malformed JSON: " + reason);
}

UserError not_an_object(const std::string& file, std::size_t line, const nlohmann::json& value) {
  return UserError(SourceLocation{file, line, 0}, "",
                   std::string("expected a JSON object, got ") + value.type_name());
}

namespace {

/// 16 MiB, 64 KiB, or 1000 bytes: a size as a config would write it.
std::string describe_size(std::size_t bytes) {
  for (const auto& [unit, size] :
       {std::pair{"GiB", std::size_t{1} << 30}, std::pair{"MiB", std::size_t{1} << 20},
        std::pair{"KiB", std::size_t{1} << 10}}) {
    if (bytes >= size && bytes % size == 0) {
      return fmt::format("{} {}", bytes / size, unit);
    }
  }
  return fmt::format("{} bytes", bytes);
}

}  // namespace

UserError row_too_large(const std::string& file, std::size_t line, std::size_t limit) {
  const std::string size = describe_size(limit);
  return UserError(
      SourceLocation{file, line, 0}, "",
      fmt::format("row is larger than max_row_bytes, {}{}; raise dataset.max_row_bytes in the "
                  "config to read it",
                  size, size.ends_with(" bytes") ? "" : fmt::format(" ({} bytes)", limit)));
}

void check_row_text(const std::string& file, std::size_t line, std::string_view text) {
  const auto line_of = [&](std::size_t offset) {
    return line + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  };
  if (const auto offset = util::find_invalid_utf8(text)) {
    throw UserError(SourceLocation{file, line_of(*offset), 0}, "",
                    fmt::format("invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                static_cast<unsigned char>(text[*offset])));
  }
  if (const auto offset = util::find_nesting_beyond(text, util::kMaxNestingDepth)) {
    throw UserError(SourceLocation{file, line_of(*offset), 0}, "",
                    fmt::format("values nested deeper than {} levels", util::kMaxNestingDepth));
  }
}

void check_read_error(const std::istream& in, const std::string& file) {
  if (in.bad()) {
    throw UserError(SourceLocation{file, 0, 0}, "",
                    std::string("cannot read dataset: ") + std::strerror(errno));
  }
}

std::string_view ChunkedInput::unread() {
  if (m_pos == m_end) {
    m_in->read(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    m_pos = 0;
    m_end = static_cast<std::size_t>(m_in->gcount());
    if (m_first_fill) {
      m_first_fill = false;
      if (std::string_view(m_buffer.data(), m_end).starts_with(utf8_bom)) {
        m_pos = utf8_bom.size();
      }
    }
    if (m_end == 0) {
      check_read_error(*m_in, m_file);
    }
  }
  return {m_buffer.data() + m_pos, m_end - m_pos};
}

}  // namespace promptbench::dataset
