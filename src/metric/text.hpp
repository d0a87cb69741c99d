// SPDX-License-Identifier: Apache-2.0
// Code-point helpers for the metrics that must match Python reference implementations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace promptbench {

/// `text` as code points. A byte that is not part of valid UTF-8 becomes U+DC80 + byte (as
/// Python's surrogateescape does), so it stays one distinct unit and is never dropped.
[[nodiscard]] std::u32string decode_utf8(std::string_view text);

/// Appends `code_point` as UTF-8 (an escaped invalid byte from decode_utf8 as that byte).
void append_utf8(std::string& out, char32_t code_point);

[[nodiscard]] std::string encode_utf8(std::u32string_view text);

/// Python's str.isspace(): what str.split() and str.strip() treat as whitespace.
[[nodiscard]] bool is_python_space(char32_t c);

/// Python's str.split() with no argument: the runs of non-whitespace of `text`.
[[nodiscard]] std::vector<std::u32string_view> split_python(std::u32string_view text);

/// Python's str.lower(): the simple Unicode lowercase mapping, plus Python's special cases:
/// U+0130 gives "i" + U+0307, and a capital sigma ending a word gives final sigma (the
/// context test approximates Unicode's Final_Sigma with letter categories).
[[nodiscard]] std::u32string python_lower(std::u32string_view text);

/// Python's `\w` in a str regex: letters, digits/numerics and the underscore.
[[nodiscard]] bool is_python_word(char32_t c);

}  // namespace promptbench
