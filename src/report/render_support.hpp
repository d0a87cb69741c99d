// SPDX-License-Identifier: Apache-2.0
// Small readers shared by the report renderers: the fields of a checked report as text.
#pragma once

#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promptbench::report {

using Json = nlohmann::ordered_json;

/// A case id as text (ids are strings; an integer id is printed as one).
[[nodiscard]] std::string case_id(const Json& report_case);

/// A string as itself, null or absent as "", anything else as compact JSON.
[[nodiscard]] std::string text_of(const Json& value);
/// `object[key]` through text_of; "" when `object` is not an object or lacks `key`.
[[nodiscard]] std::string text_at(const Json& object, const char* key);

/// `object[key]` when it is a number.
[[nodiscard]] std::optional<double> number_at(const Json& object, const char* key);

/// A score or statistic for people: four significant digits ("0.8333", "1", "12.5").
[[nodiscard]] std::string format_number(double value);
/// `format_number`, or "-" when absent.
[[nodiscard]] std::string format_number(const std::optional<double>& value);

/// An integer count ("132"), or "-" when absent.
[[nodiscard]] std::string format_count(const std::optional<double>& value);

/// `object[key]` when it is a boolean, else `fallback`.
[[nodiscard]] bool bool_at(const Json& object, const char* key, bool fallback);

/// A metric as tables name it: "contains (keywords)" for a metric scored against a dataset
/// field of its own (`reference`), else just its name.
[[nodiscard]] std::string metric_label(const std::string& metric, const std::string& reference);

/// Every metric name of every variant, in order of first appearance.
[[nodiscard]] std::vector<std::string> metric_names(const Json& head);

/// A result's error as one line: "http_status 500: upstream failed"; "" without one.
[[nodiscard]] std::string error_text(const Json& result);

/// The names of the metrics whose pass flag is false in `result`.
[[nodiscard]] std::vector<std::string> failed_metrics(const Json& result);

/// "exact_match=1 (pass), contains=0 (fail), latency=12.5" for a result.
[[nodiscard]] std::string scores_text(const Json& result);

/// The name of the run, "promptbench" when the report has none.
[[nodiscard]] std::string run_name(const Json& head);

}  // namespace promptbench::report

namespace promptbench {

// Escaping for the formats, shared by the renderers and `compare`.

/// The Markdown table of comparison entries (the report's `comparisons` shape),
/// shared by render_markdown and `compare --format md`. Empty input gives an empty string.
[[nodiscard]] std::string markdown_comparison_table(const nlohmann::ordered_json& comparisons);

/// A Markdown table cell: `\`, `|`, `<`, `>` and `&` escaped, line breaks as <br>.
[[nodiscard]] std::string markdown_cell(std::string_view text);

/// `text` with every sequence XML 1.0 cannot hold (invalid UTF-8, control characters other
/// than tab, LF and CR, U+FFFE, U+FFFF) replaced by U+FFFD, then escaped for XML: `&`, `<`,
/// `>` always; in an attribute also `"`, `'`, tab, LF and CR as character references.
[[nodiscard]] std::string xml_escape(std::string_view text, bool attribute);

/// One RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, quote, CR or LF.
[[nodiscard]] std::string csv_field(std::string_view text);

}  // namespace promptbench
