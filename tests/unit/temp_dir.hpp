// SPDX-License-Identifier: Apache-2.0
// A scratch directory for unit tests that need real files (configs, datasets, reports).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace promptbench::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pb-unit-XXXXXX").string();
    m_path = mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code error;
    std::filesystem::remove_all(m_path, error);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

  /// Writes `content` to `relative` (creating folders) and returns the absolute path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const {
    const auto target = m_path / relative;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << content;
    return target;
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace promptbench::testing
