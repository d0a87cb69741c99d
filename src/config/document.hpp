// SPDX-License-Identifier: Apache-2.0
// A parsed config file as JSON, plus where each value came from. YAML and JSON configs
// both become a LocatedDocument, so one checker serves both formats.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "promptbench/error.hpp"

namespace promptbench::config {

struct LocatedDocument {
  std::string file;  ///< as shown in messages
  nlohmann::json root;
  /// JSON pointer of a value -> where the value starts.
  std::unordered_map<std::string, SourceLocation> value_at;
  /// JSON pointer of an object member -> where its key starts (for unknown-key errors).
  std::unordered_map<std::string, SourceLocation> key_at;

  /// Location of the value at `pointer`, else of its nearest located ancestor.
  [[nodiscard]] SourceLocation where(const std::string& pointer) const;
  [[nodiscard]] SourceLocation where_key(const std::string& pointer) const;
};

/// Parses YAML text. YAML 1.2 core-schema scalars become JSON null/bool/number; quoted
/// scalars stay strings. Throws UserError with the YAML error's location.
[[nodiscard]] LocatedDocument parse_yaml(const std::string& file, const std::string& text);

/// Parses JSON text. Syntax errors are reported at line:col.
[[nodiscard]] LocatedDocument parse_json(const std::string& file, const std::string& text);

/// The text of a config or prompt template file. Throws UserError naming `display_name`
/// when it cannot be read or is larger than util::kMaxConfigBytes.
[[nodiscard]] std::string read_config_text(const std::filesystem::path& path,
                                           const std::string& display_name);

/// Throws UserError at file:line:col of the first byte of `text` that is not UTF-8.
void check_utf8(const std::string& file, const std::string& text);

/// Reads `path` and parses it by extension (.json = JSON, anything else = YAML).
[[nodiscard]] LocatedDocument load_document(const std::filesystem::path& path,
                                            const std::string& display_name);

}  // namespace promptbench::config
