// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the dataset readers: the UTF-8 BOM, and the messages every format uses.
#pragma once

#include <array>
#include <cstddef>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "promptbench/error.hpp"

namespace promptbench::dataset {

/// Editors on Windows like to start UTF-8 files with it; it is never part of the data.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

/// Bytes read from the stream at a time: the readers' memory does not depend on the file.
inline constexpr std::size_t read_buffer_size = std::size_t{64} * 1024;

/// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
/// column 5: " prefix, whose position is relative to the text we handed it, not to the file.
/// Also takes the out_of_range error parsing throws for a number beyond a double ("number
/// overflow parsing '1e400'", without its "[json.exception.out_of_range.406] ").
[[nodiscard]] std::string parse_error_reason(const nlohmann::json::exception& error);

/// A byte for a message: `'x'` when printable ASCII, else `byte 0xC3`; -1 is "end of input".
[[nodiscard]] std::string describe_byte(int c);

/// `file:line: malformed JSON: <reason>`.
[[nodiscard]] UserError malformed_json(const std::string& file, std::size_t line,
                                       const std::string& reason);

/// `file:line: expected a JSON object, got <type>`.
[[nodiscard]] UserError not_an_object(const std::string& file, std::size_t line,
                                      const nlohmann::json& value);

/// `file:line: row is larger than max_row_bytes, 16 MiB (16777216 bytes); ...`: a row that
/// starts on `line` and runs past `limit` bytes.
[[nodiscard]] UserError row_too_large(const std::string& file, std::size_t line, std::size_t limit);

/// Checks one row's JSON text, starting on `line` of `file`, before it is parsed: invalid
/// UTF-8 (nlohmann would quote the raw bytes in its message) and lists or objects nested
/// deeper than util::kMaxNestingDepth. Throws UserError at the line of the offending byte.
void check_row_text(const std::string& file, std::size_t line, std::string_view text);

/// Throws `file: cannot read dataset: <strerror>` if the stream failed for a reason other
/// than reaching its end (an I/O error must not pass for a shorter dataset).
void check_read_error(const std::istream& in, const std::string& file);

/// A stream read through one fixed buffer of read_buffer_size bytes, a leading BOM dropped.
class ChunkedInput {
 public:
  ChunkedInput(std::unique_ptr<std::istream> in, std::string file)
      : m_in(std::move(in)), m_file(std::move(file)) {}

  /// The bytes not yet consumed, refilled from the stream when used up; empty at the end.
  /// Throws (check_read_error) if the stream fails for a reason other than its end.
  [[nodiscard]] std::string_view unread();
  void consume(std::size_t bytes) { m_pos += bytes; }

 private:
  std::unique_ptr<std::istream> m_in;
  std::string m_file;
  std::array<char, read_buffer_size> m_buffer{};
  std::size_t m_pos = 0;
  std::size_t m_end = 0;
  bool m_first_fill = true;
};

}  // namespace promptbench::dataset
