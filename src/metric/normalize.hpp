// SPDX-License-Identifier: Apache-2.0
// Unicode-aware text normalizers shared by the string-comparing metrics and extraction.
#pragma once

#include <string>
#include <string_view>

namespace promptbench {

class MetricParams;

/// Which normalizers to apply. They always run in one fixed order, whatever order the
/// config lists them in: nfkc_casefold, strip_punctuation, lower, collapse_whitespace, trim
/// -- so that e.g. "Paris ." becomes "paris" with every normalizer on.
struct Normalization {
  bool strip_punctuation = false;    ///< drop Unicode punctuation (categories Pc..Po)
  bool lower = false;                ///< Unicode case folding (ß matches ss, Σ matches σ)
  bool collapse_whitespace = false;  ///< each run of Unicode whitespace -> one ASCII space
  bool trim = false;                 ///< drop Unicode whitespace at both ends
  /// Unicode NFKC_Casefold: compatibility forms fold together (ﬁ -> fi, full-width Ａ -> a,
  /// ² -> 2), case folds, default-ignorable code points (soft hyphen, ZWJ) go.
  bool nfkc_casefold = false;
};

/// `text` with the normalizers in `how` applied. Bytes that are not valid UTF-8 are kept
/// as they are and otherwise treated like ASCII bytes (never a crash, never dropped).
[[nodiscard]] std::string normalize(std::string_view text, const Normalization& how);

/// `text` without Unicode whitespace at either end.
[[nodiscard]] std::string trim_whitespace(std::string_view text);

/// Reads the `normalize` parameter: a normalizer name or a list of them; `fallback` when
/// the parameter is absent. Throws ParamError("normalize", ...) naming an unknown
/// normalizer, with a "did you mean".
[[nodiscard]] Normalization normalization_param(const MetricParams& params,
                                                const Normalization& fallback);

}  // namespace promptbench
