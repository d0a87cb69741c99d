// SPDX-License-Identifier: Apache-2.0
// UTF-8 decoding and validation on utf8proc_iterate, which rejects overlong forms, surrogates and
// code points beyond U+10FFFF as well as truncated sequences.
#include "util/utf8.hpp"

#include <utf8proc.h>

namespace promptbench::util {

std::optional<DecodedCodePoint> decode_at(std::string_view text, std::size_t offset) {
  utf8proc_int32_t code_point = 0;
  const utf8proc_ssize_t length =
      utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + offset),
                       static_cast<utf8proc_ssize_t>(text.size() - offset), &code_point);
  if (length <= 0) {
    return std::nullopt;
  }
  return DecodedCodePoint{static_cast<char32_t>(code_point), static_cast<std::size_t>(length)};
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    const std::optional<DecodedCodePoint> decoded = decode_at(text, offset);
    if (!decoded) {
      return offset;
    }
    offset += decoded->length;
  }
  return std::nullopt;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;  // text[end] continues a character: the cut goes before that character
  }
  return text.substr(0, end);
}

}  // namespace promptbench::util
