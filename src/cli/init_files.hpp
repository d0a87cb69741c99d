// SPDX-License-Identifier: Apache-2.0
// The files `promptbench init` writes, compiled in so the scaffold needs no install tree.
#pragma once

#include <span>
#include <string_view>

namespace promptbench::cli {

/// One scaffold file: where it goes (relative to the init directory), its bytes, and the
/// few words `init` prints next to it.
struct ScaffoldFile {
  std::string_view path;
  std::string_view contents;
  std::string_view summary;
};

/// The config, the prompt file and the dataset, in the order they are written.
[[nodiscard]] std::span<const ScaffoldFile> scaffold_files();

/// The .gitignore line for the response cache and journal (eval's default --cache).
inline constexpr std::string_view kGitignoreEntry = ".promptbench/";

}  // namespace promptbench::cli
