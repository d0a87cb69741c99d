// SPDX-License-Identifier: Apache-2.0
// The shared text vocabulary (see text.hpp), and closest_match, which the public API
// declares in promptbench/error.hpp: did_you_mean is its only wording.
#include "util/text.hpp"

#include <utf8proc.h>

#include <algorithm>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "util/utf8.hpp"

namespace promptbench {

namespace {

constexpr std::string_view kAsciiSpace = " \t\r\n\f\v";

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the most
/// common typo ('shuot' for 'shout' is one edit, not two).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

template <typename Range>
std::string closest_in(std::string_view word, const Range& candidates) {
  // A typo is plausible when at most a third of the word differs (at least one edit).
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& item : candidates) {
    const std::string_view candidate(item);
    const std::size_t distance = edit_distance(word, candidate);
    // Replacing every character is no typo ('y' is not a misspelt 'x').
    const bool all_replaced = distance >= std::max(word.size(), candidate.size());
    if (distance < best_distance && !all_replaced) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string suggestion_text(const std::string& suggestion) {
  return suggestion.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", suggestion);
}

}  // namespace

std::string closest_match(const std::string& word,
                          const std::initializer_list<const char*>& candidates) {
  return closest_in(word, candidates);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  return closest_in(word, candidates);
}

namespace util {

std::string trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(kAsciiSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  const std::size_t end = text.find_last_not_of(kAsciiSpace);
  return std::string(text.substr(begin, end - begin + 1));
}

std::string lower(std::string_view text) {
  std::string out(text);
  // Not std::tolower: its answer depends on the C locale, and it would touch UTF-8 bytes
  // under a Latin-1 locale.
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return suggestion_text(closest_in(word, candidates));
}

std::string did_you_mean(std::string_view word, std::initializer_list<const char*> candidates) {
  return suggestion_text(closest_in(word, candidates));
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  std::size_t offset = 0;
  while (offset < utf8.size()) {
    const std::optional<DecodedCodePoint> decoded = decode_at(utf8, offset);
    if (!decoded) {
      width += 1;  // an invalid byte: one replacement character
      offset += 1;
      continue;
    }
    width +=
        static_cast<std::size_t>(utf8proc_charwidth(static_cast<utf8proc_int32_t>(decoded->value)));
    offset += decoded->length;
  }
  return width;
}

std::string pad_right(std::string_view text, std::size_t width) {
  const std::size_t shown = display_width(text);
  std::string out(text);
  if (shown < width) {
    out.append(width - shown, ' ');
  }
  return out;
}

}  // namespace util

}  // namespace promptbench
