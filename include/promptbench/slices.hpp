// SPDX-License-Identifier: Apache-2.0
// Slices (README "Slices"): results per value of a dataset field (language, topic, customer
// segment), so that an overall gain cannot hide a loss on one group. A case's slice value is
// its row's field as text; the summary, the comparisons and the gates are then computed on
// each value's cases as on the whole.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/error.hpp"

namespace promptbench {

/// Slices with fewer cases than this are shown but never gated (`slice_min_cases:`).
inline constexpr std::size_t kDefaultSliceMinCases = 30;

/// `slices:` and `slice_min_cases:` of the config.
struct SliceConfig {
  std::vector<std::string> fields;  ///< dataset fields; empty = no slices
  std::size_t min_cases = kDefaultSliceMinCases;
  SourceLocation where;  ///< of `slices:`
};

/// What a gate's `slice:` picks: one value of one field (`slice: {language: de}`), every
/// value of one field (`slice: {language: each}`), or every value of every configured field
/// (`slice: each`).
struct GateSlice {
  std::string field;  ///< empty with `slice: each`: every configured field
  std::string value;  ///< empty when `each`
  bool each = false;

  [[nodiscard]] bool operator==(const GateSlice&) const = default;
};

/// A row's field as a slice value: a string as itself, a number or boolean as JSON writes it
/// ("3", "2.5", "true"); nullopt for null, an object or an array, which name no group.
[[nodiscard]] std::optional<std::string> slice_text(const nlohmann::json& value);

/// The slice value of `field` in a row's `vars`. Throws UserError at `where` naming the
/// field when the row lacks it or it is null, an object or an array.
[[nodiscard]] std::string slice_value(const nlohmann::json& vars, const std::string& field,
                                      const SourceLocation& where);

/// "language=de", as the outputs name a slice.
[[nodiscard]] std::string slice_label(const std::string& field, const std::string& value);

/// Why a slice with `cases` cases is not gated ("n=12 < 30: not gated"); "" when it is.
[[nodiscard]] std::string slice_not_gated(std::size_t cases, std::size_t min_cases);

/// The gate's `slice` in the report: {"language": "de"}, {"language": "each"} or "each".
[[nodiscard]] nlohmann::ordered_json to_json(const GateSlice& slice);
/// Reads what to_json wrote; nullopt for anything else.
[[nodiscard]] std::optional<GateSlice> gate_slice_from_json(const nlohmann::ordered_json& json);

}  // namespace promptbench
