// SPDX-License-Identifier: Apache-2.0
// Small text vocabulary shared by every folder: trimming, ASCII lower-casing, "did you
// mean" suggestions and the width of text on a terminal. One home, so that a config key,
// a flag and a template variable are trimmed, compared and suggested the same way.
// (The metrics' Unicode-aware normalizers -- case folding, Unicode whitespace -- are a
// different behaviour on purpose and live in src/metric/normalize.hpp.)
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace promptbench::util {

/// `text` without ASCII whitespace (space, \t, \r, \n, \f, \v) at either end.
[[nodiscard]] std::string trim(std::string_view text);

/// `text` with ASCII letters lower-cased; every other byte (UTF-8 included) as it is.
/// For keywords and header names, not for comparing human text.
[[nodiscard]] std::string lower(std::string_view text);

/// " (did you mean 'x'?)" for the candidate closest to `word` (closest_match in
/// promptbench/error.hpp), or "" when none is close enough to be a plausible typo. Made to be
/// appended to a message: `fmt::format("unknown key '{}'{}", key, did_you_mean(key, keys))`.
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       const std::vector<std::string>& candidates);
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       std::initializer_list<const char*> candidates);

/// Columns `utf8` takes on a terminal: East Asian wide characters and emoji take two,
/// combining marks none, everything else one (utf8proc's character widths). A byte that is
/// not valid UTF-8 counts as one column, as terminals show a replacement character.
[[nodiscard]] std::size_t display_width(std::string_view utf8);

/// `text` followed by spaces up to `width` display columns (as it is when already wider).
[[nodiscard]] std::string pad_right(std::string_view text, std::size_t width);

}  // namespace promptbench::util
