// SPDX-License-Identifier: Apache-2.0
// UTF-8 validation (through utf8proc), so invalid bytes are caught where they are read
// and located, not when a request body is serialized far away.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace promptbench::util {

/// A code point read from UTF-8: its value and the bytes it took.
struct DecodedCodePoint {
  char32_t value = 0;
  std::size_t length = 0;
};

/// The code point that starts at `text[offset]` (offset < text.size()); nullopt when the
/// bytes there are not valid UTF-8 (overlong forms, surrogates, code points beyond
/// U+10FFFF and truncated sequences are not).
[[nodiscard]] std::optional<DecodedCodePoint> decode_at(std::string_view text, std::size_t offset);

/// Offset of the first byte of `text` that does not start a valid UTF-8 sequence, or
/// nullopt when all of `text` is valid UTF-8.
[[nodiscard]] std::optional<std::size_t> find_invalid_utf8(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8
/// character (for quoting the start of a text in a message).
[[nodiscard]] std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

[[nodiscard]] inline bool is_valid_utf8(std::string_view text) {
  return !find_invalid_utf8(text).has_value();
}

}  // namespace promptbench::util
