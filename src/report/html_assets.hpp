// SPDX-License-Identifier: Apache-2.0
// The HTML report's page (src/report/html/), compiled into the binary by a build step
// (cmake/embed_html_assets.cmake).
#pragma once

#include <string_view>

namespace promptbench::report {

/// The page's CSS: page.css then explorer.css.
[[nodiscard]] std::string_view html_style();
/// The page's JavaScript: common.js, summary.js, explorer.js, main.js in one strict-mode
/// function. It contains neither `</script` nor `<!--`.
[[nodiscard]] std::string_view html_script();

}  // namespace promptbench::report
