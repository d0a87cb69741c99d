// SPDX-License-Identifier: Apache-2.0
// Opens a dataset file and picks its reader from the configured format or the extension.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "promptbench/dataset.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

using ReaderFactory = std::unique_ptr<RowReader> (*)(std::unique_ptr<std::istream>, std::string,
                                                     std::size_t);

struct Format {
  const char* name;
  ReaderFactory make;
};

constexpr Format formats[] = {
    {"jsonl", make_jsonl_reader},
    {"ndjson", make_jsonl_reader},
    {"json", make_json_array_reader},
    {"csv", make_csv_reader},
};

const Format* find_format(std::string_view format) {
  const std::string name = util::lower(format);
  const auto* found = std::find_if(std::begin(formats), std::end(formats),
                                   [&](const Format& format) { return name == format.name; });
  return found == std::end(formats) ? nullptr : found;
}

const Format& pick_format(const DatasetConfig& config, const std::string& file) {
  if (!config.format.empty()) {
    if (const Format* format = find_format(config.format)) {
      return *format;
    }
    const SourceLocation where = config.where.file.empty() ? SourceLocation{file} : config.where;
    throw UserError(
        where, "dataset.format",
        fmt::format("unknown dataset format '{}' (expected jsonl, json or csv)", config.format));
  }
  const std::string extension = config.path.extension().string();
  if (extension.empty()) {
    throw UserError(SourceLocation{file}, "dataset.format",
                    "no file extension to tell the dataset format by "
                    "(expected .jsonl, .json or .csv)");
  }
  if (const Format* format = find_format(extension.substr(1))) {
    return *format;
  }
  throw UserError(
      SourceLocation{file}, "dataset.format",
      fmt::format("unknown dataset format '{}' (expected .jsonl, .json or .csv)", extension));
}

std::unique_ptr<std::istream> open_file(const std::filesystem::path& path,
                                        const std::string& file) {
  // An ifstream opens a directory without complaint and then reads nothing: say why instead.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw UserError(SourceLocation{file}, "",
                    std::string("cannot open dataset: ") + std::strerror(EISDIR));
  }
  errno = 0;
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    const int error = errno != 0 ? errno : ENOENT;
    throw UserError(SourceLocation{file}, "",
                    std::string("cannot open dataset: ") + std::strerror(error));
  }
  return in;
}

}  // namespace

std::unique_ptr<RowReader> open_rows(const DatasetConfig& config) {
  const std::string file = config.display_path.empty() ? config.path.string() : config.display_path;
  const Format& format = pick_format(config, file);
  return format.make(open_file(config.path, file), file, config.max_row_bytes);
}

}  // namespace promptbench
