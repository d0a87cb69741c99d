// SPDX-License-Identifier: Apache-2.0
// How deep JSON text nests, measured on the text before it is parsed: nlohmann parses any
// depth without recursion, but copying, comparing, dumping and rendering the value recurse.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace promptbench::util {

/// Offset of the first '[' or '{' in `json` that opens a list or mapping nested deeper than
/// `max_depth` (the outermost one is depth 1), or nullopt. Brackets inside strings do not
/// count; malformed text is scanned all the same and left for the parser to diagnose.
[[nodiscard]] std::optional<std::size_t> find_nesting_beyond(std::string_view json,
                                                             std::size_t max_depth);

}  // namespace promptbench::util
