// SPDX-License-Identifier: Apache-2.0
// Unicode-aware text normalizers (utf8proc), with a byte-wise fallback for invalid UTF-8.
#include "metric/normalize.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <utf8proc.h>

#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

/// One decoded unit of the text: a code point, or a single byte that is not valid UTF-8
/// (`valid` false; `code_point` then holds the byte value and is never interpreted).
struct Unit {
  std::int32_t code_point = 0;
  std::size_t length = 1;
  bool valid = true;
};

Unit decode_at(std::string_view text, std::size_t offset) {
  Unit unit;
  if (static_cast<unsigned char>(text[offset]) < 0x80) {
    unit.code_point = static_cast<unsigned char>(text[offset]);
    return unit;
  }
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data() + offset);
  const utf8proc_ssize_t length = utf8proc_iterate(
      bytes, static_cast<utf8proc_ssize_t>(text.size() - offset), &unit.code_point);
  if (length <= 0) {
    unit.code_point = static_cast<unsigned char>(text[offset]);
    unit.valid = false;
    return unit;
  }
  unit.length = static_cast<std::size_t>(length);
  return unit;
}

bool is_unicode_space(const Unit& unit) {
  const std::int32_t c = unit.code_point;
  if (!unit.valid) {
    return false;
  }
  // Cc controls that Unicode counts as White_Space: \t \n \v \f \r and NEL.
  if ((c >= 0x09 && c <= 0x0D) || c == 0x85) {
    return true;
  }
  const utf8proc_category_t category = utf8proc_category(c);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

bool is_unicode_punctuation(const Unit& unit) {
  if (!unit.valid) {
    return false;
  }
  const utf8proc_category_t category = utf8proc_category(unit.code_point);
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

void append_code_point(std::string& out, std::int32_t code_point) {
  std::array<utf8proc_uint8_t, 4> buffer{};
  const utf8proc_ssize_t length = utf8proc_encode_char(code_point, buffer.data());
  out.append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(length));
}

/// Case folding rather than plain lower-casing: comparisons are what it is for, and folding
/// also equates ß/ss and final/medial sigma.
void append_unicode_folded(std::string& out, std::string_view text, std::size_t offset,
                           const Unit& unit) {
  if (!unit.valid) {
    out += text[offset];
    return;
  }
  std::array<utf8proc_int32_t, 8> folded{};
  int boundclass = 0;
  const utf8proc_ssize_t count = utf8proc_decompose_char(
      unit.code_point, folded.data(), folded.size(), UTF8PROC_CASEFOLD, &boundclass);
  if (count < 0 || static_cast<std::size_t>(count) > folded.size()) {
    out.append(text.substr(offset, unit.length));
    return;
  }
  for (utf8proc_ssize_t i = 0; i < count; ++i) {
    append_code_point(out, folded[static_cast<std::size_t>(i)]);
  }
}

constexpr std::array<const char*, 5> kNormalizerNames = {"trim", "lower", "collapse_whitespace",
                                                         "strip_punctuation", "nfkc_casefold"};

/// NFKC_Casefold through utf8proc; text that is not valid UTF-8 is returned unchanged
/// (the byte-wise normalizers after it still apply).
std::string unicode_nfkc_casefold(std::string_view text) {
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t length = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
      static_cast<utf8proc_ssize_t>(text.size()), &mapped,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE));
  if (length < 0) {
    return std::string(text);
  }
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(length));
  std::free(mapped);  // NOLINT(cppcoreguidelines-no-malloc): utf8proc allocates with malloc
  return out;
}

/// What the Unicode functions above make of each ASCII character, asked once: nearly every
/// text a metric compares is ASCII, and a table lookup is what it then costs. An ASCII text
/// is already in NFKC and no two ASCII characters compose, so its NFKC_Casefold is the
/// concatenation of its characters' own.
struct AsciiTables {
  std::array<bool, 128> space{};
  std::array<bool, 128> punctuation{};
  std::array<std::string, 128> folded;
  std::array<std::string, 128> nfkc_casefolded;

  AsciiTables() {
    for (std::size_t c = 0; c < 128; ++c) {
      const std::string text(1, static_cast<char>(c));
      const Unit unit{static_cast<std::int32_t>(c), 1, true};
      space[c] = is_unicode_space(unit);
      punctuation[c] = is_unicode_punctuation(unit);
      append_unicode_folded(folded[c], text, 0, unit);
      nfkc_casefolded[c] = unicode_nfkc_casefold(text);
    }
  }
};

// Built before main(): utf8proc needs no set-up, and a function-local static would cost a
// guard check on every character.
const AsciiTables kAsciiTables;

const AsciiTables& ascii_tables() {
  return kAsciiTables;
}

bool is_ascii_unit(const Unit& unit) {
  return unit.valid && unit.code_point < 0x80;
}

bool is_space(const Unit& unit) {
  return is_ascii_unit(unit) ? ascii_tables().space[static_cast<std::size_t>(unit.code_point)]
                             : is_unicode_space(unit);
}

bool is_punctuation(const Unit& unit) {
  return is_ascii_unit(unit) ? ascii_tables().punctuation[static_cast<std::size_t>(unit.code_point)]
                             : is_unicode_punctuation(unit);
}

void append_folded(std::string& out, std::string_view text, std::size_t offset, const Unit& unit) {
  if (is_ascii_unit(unit)) {
    out += ascii_tables().folded[static_cast<std::size_t>(unit.code_point)];
  } else {
    append_unicode_folded(out, text, offset, unit);
  }
}

std::string nfkc_casefold(std::string_view text) {
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return unicode_nfkc_casefold(text);
  }
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    out += ascii_tables().nfkc_casefolded[static_cast<unsigned char>(c)];
  }
  return out;
}

void enable(Normalization& how, const std::string& name) {
  if (name == "trim") {
    how.trim = true;
  } else if (name == "lower") {
    how.lower = true;
  } else if (name == "collapse_whitespace") {
    how.collapse_whitespace = true;
  } else if (name == "strip_punctuation") {
    how.strip_punctuation = true;
  } else if (name == "nfkc_casefold") {
    how.nfkc_casefold = true;
  } else {
    const std::vector<std::string> names(kNormalizerNames.begin(), kNormalizerNames.end());
    throw ParamError("normalize", fmt::format("unknown normalizer '{}'{}", name,
                                              util::did_you_mean(name, names)));
  }
}

}  // namespace

std::string normalize(std::string_view input, const Normalization& how) {
  const std::string folded = how.nfkc_casefold ? nfkc_casefold(input) : std::string();
  const std::string_view text = how.nfkc_casefold ? std::string_view(folded) : input;
  std::string out;
  out.reserve(text.size());
  bool in_space_run = false;
  for (std::size_t offset = 0; offset < text.size();) {
    const Unit unit = decode_at(text, offset);
    if (how.strip_punctuation && is_punctuation(unit)) {
      offset += unit.length;  // in_space_run stays as it is, so "a , b" collapses to "a b"
      continue;
    }
    if (how.collapse_whitespace && is_space(unit)) {
      if (!in_space_run) {
        out += ' ';
      }
      in_space_run = true;
    } else {
      in_space_run = false;
      if (how.lower) {
        append_folded(out, text, offset, unit);
      } else {
        out.append(text.substr(offset, unit.length));
      }
    }
    offset += unit.length;
  }
  return how.trim ? trim_whitespace(out) : out;
}

std::string trim_whitespace(std::string_view text) {
  std::size_t begin = text.size();
  std::size_t end = 0;
  for (std::size_t offset = 0; offset < text.size();) {
    const Unit unit = decode_at(text, offset);
    if (!is_space(unit)) {
      begin = std::min(begin, offset);
      end = offset + unit.length;
    }
    offset += unit.length;
  }
  return begin < end ? std::string(text.substr(begin, end - begin)) : std::string();
}

Normalization normalization_param(const MetricParams& params, const Normalization& fallback) {
  if (!params.has("normalize")) {
    return fallback;
  }
  Normalization how;
  for (const std::string& name : params.get_string_list("normalize")) {
    enable(how, name);
  }
  return how;
}

}  // namespace promptbench
