// SPDX-License-Identifier: Apache-2.0
// UserError formatting and source locations (closest_match lives with the other text
// helpers in src/util/text.cpp).
#include "promptbench/error.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace promptbench {

std::string SourceLocation::to_string() const {
  if (line == 0) {
    return file;
  }
  if (column == 0) {
    return fmt::format("{}:{}", file, line);
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {

std::string format_user_error(const SourceLocation& where, const std::string& field,
                              const std::string& message) {
  std::string out;
  if (!where.file.empty()) {
    out += where.to_string() + ": ";
  }
  if (!field.empty()) {
    out += field + ": ";
  }
  return out + message;
}

}  // namespace

UserError::UserError(std::string message) : std::runtime_error(std::move(message)) {}

UserError::UserError(const SourceLocation& where, const std::string& field,
                     const std::string& message)
    : std::runtime_error(format_user_error(where, field, message)),
      m_where(where),
      m_field(field) {}

SourceLocation location_of_offset(const std::string& file, const std::string& text,
                                  std::size_t offset) {
  SourceLocation where{file, 1, 1};
  const std::size_t end = std::min(offset, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

}  // namespace promptbench
