// SPDX-License-Identifier: Apache-2.0
// Code-point helpers (utf8proc) that reproduce Python's str semantics for the metrics.
#include "metric/text.hpp"

#include <array>

#include <utf8proc.h>

#include "util/utf8.hpp"

namespace promptbench {

namespace {

constexpr char32_t kEscapedByteBase = 0xDC80;

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t offset = 0;
  while (offset < text.size()) {
    const std::optional<util::DecodedCodePoint> decoded = util::decode_at(text, offset);
    if (!decoded) {
      out.push_back(kEscapedByteBase + static_cast<unsigned char>(text[offset]));
      ++offset;
      continue;
    }
    out.push_back(decoded->value);
    offset += decoded->length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point >= kEscapedByteBase + 0x80 && code_point <= kEscapedByteBase + 0xFF) {
    out += static_cast<char>(code_point - kEscapedByteBase);
    return;
  }
  std::array<utf8proc_uint8_t, 4> buffer{};
  const utf8proc_ssize_t length =
      utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer.data());
  out.append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(length));
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : text) {
    append_utf8(out, c);
  }
  return out;
}

bool is_python_space(char32_t c) {
  // The complete list of code points for which CPython's Py_UNICODE_ISSPACE is true.
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) {
    return true;
  }
  if (c < 0x85) {
    return false;
  }
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<std::u32string_view> split_python(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_python_space(text[i])) {
      ++i;
    }
    const std::size_t start = i;
    while (i < text.size() && !is_python_space(text[i])) {
      ++i;
    }
    if (i > start) {
      words.push_back(text.substr(start, i - start));
    }
  }
  return words;
}

namespace {

bool is_valid_scalar(char32_t c) {
  return c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
}

bool is_cased(char32_t c) {
  if (!is_valid_scalar(c)) {
    return false;
  }
  const utf8proc_category_t category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
         category == UTF8PROC_CATEGORY_LT;
}

bool is_case_ignorable(char32_t c) {
  if (c == '\'' || c == '.' || c == ':' || c == 0xB7 || c == 0x2019) {
    return true;
  }
  if (!is_valid_scalar(c)) {
    return false;
  }
  const utf8proc_category_t category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_ME ||
         category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_LM ||
         category == UTF8PROC_CATEGORY_SK;
}

/// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorables) and
/// none after.
bool ends_word(std::u32string_view text, std::size_t at) {
  std::size_t before = at;
  while (before > 0 && is_case_ignorable(text[before - 1])) {
    --before;
  }
  if (before == 0 || !is_cased(text[before - 1])) {
    return false;
  }
  std::size_t after = at + 1;
  while (after < text.size() && is_case_ignorable(text[after])) {
    ++after;
  }
  return after == text.size() || !is_cased(text[after]);
}

}  // namespace

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    } else if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE (SpecialCasing.txt)
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {  // GREEK CAPITAL LETTER SIGMA
      out.push_back(ends_word(text, i) ? 0x3C2 : 0x3C3);
    } else if (!is_valid_scalar(c)) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
  }
  return out;
}

bool is_python_word(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!is_valid_scalar(c)) {
    return false;
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

}  // namespace promptbench
