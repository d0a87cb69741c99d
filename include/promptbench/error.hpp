// SPDX-License-Identifier: Apache-2.0
// Error types. Two tiers (see docs/ARCHITECTURE.md): a failure of one request is a value
// (`RequestError`, in http.hpp) that goes into the report; a mistake of the user's
// (config, template, dataset, flag) throws `UserError`, caught once in run_cli -> exit 2.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace promptbench {

/// Where in a user's file something is. `line` and `column` are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;

  /// "file:line:col", "file:line" or "file", whichever parts are known.
  [[nodiscard]] std::string to_string() const;
};

/// A mistake in the user's input. `what()` is the full message as printed after
/// "promptbench: error: ", e.g. `cfg.yaml:4:14: providers[0].timeout: expected a duration`.
class UserError : public std::runtime_error {
 public:
  explicit UserError(std::string message);
  UserError(const SourceLocation& where, const std::string& field, const std::string& message);

  [[nodiscard]] const SourceLocation& where() const { return m_where; }
  [[nodiscard]] const std::string& field() const { return m_field; }

 private:
  SourceLocation m_where;
  std::string m_field;
};

/// "Did you mean ...?" support: the candidate closest to `word` by edit distance, or an
/// empty string when none is close enough to be a plausible typo. Messages inside
/// promptbench word it through util::did_you_mean (src/util/text.hpp).
[[nodiscard]] std::string closest_match(const std::string& word,
                                        const std::initializer_list<const char*>& candidates);
[[nodiscard]] std::string closest_match(const std::string& word,
                                        const std::vector<std::string>& candidates);

/// Byte offset in `text` -> 1-based line and column.
[[nodiscard]] SourceLocation location_of_offset(const std::string& file, const std::string& text,
                                                std::size_t offset);

}  // namespace promptbench
