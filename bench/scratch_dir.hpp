// SPDX-License-Identifier: Apache-2.0
// A scratch directory for the benchmarks' inputs and outputs.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace promptbench::bench {

/// A fresh directory under the system temp dir; removed with its contents on destruction
/// unless `keep` (then its path goes to stderr).
class ScratchDir {
 public:
  explicit ScratchDir(bool keep = false) : m_keep(keep) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "promptbench-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error(fmt::format("mkdtemp {}: {}", pattern, std::strerror(errno)));
    }
    m_path = pattern;
  }
  ~ScratchDir() {
    if (m_keep) {
      std::cerr << "kept " << m_path.string() << "\n";
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
  bool m_keep;
};

}  // namespace promptbench::bench
