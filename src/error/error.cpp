// SPDX-License-Identifier: Apache-2.0
// UserError formatting and the "did you mean" helper.
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

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the most
/// common typo ('shuot' for 'shout' is one edit, not two).
std::size_t edit_distance(const std::string& a, const std::string& b) {
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
std::string closest_in(const std::string& word, const Range& candidates) {
  // A typo is plausible when at most a third of the word differs (at least one edit).
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    // Replacing every character is no typo ('y' is not a misspelt 'x').
    const bool all_replaced = distance >= std::max(word.size(), std::string(candidate).size());
    if (distance < best_distance && !all_replaced) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace

UserError::UserError(std::string message) : std::runtime_error(std::move(message)) {}

UserError::UserError(const SourceLocation& where, const std::string& field,
                     const std::string& message)
    : std::runtime_error(format_user_error(where, field, message)),
      m_where(where),
      m_field(field) {}

std::string closest_match(const std::string& word,
                          const std::initializer_list<const char*>& candidates) {
  return closest_in(word, std::vector<std::string>(candidates.begin(), candidates.end()));
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  return closest_in(word, candidates);
}

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
