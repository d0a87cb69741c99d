// SPDX-License-Identifier: Apache-2.0
// SHA-256 (OpenSSL) for report checksums and cache keys.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace promptbench::util {

/// Incremental SHA-256; `hex()` finishes it.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  /// Lower-case hex digest. The hasher cannot be updated afterwards.
  [[nodiscard]] std::string hex();
  /// The 32 bytes of the digest. The hasher cannot be updated afterwards.
  [[nodiscard]] std::string bytes();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

[[nodiscard]] std::string sha256_hex(std::string_view bytes);
/// The digest as base64 (a Content-Security-Policy hash source is 'sha256-<this>').
[[nodiscard]] std::string sha256_base64(std::string_view bytes);

/// The file's digest, read in chunks; empty when the file cannot be read.
[[nodiscard]] std::string sha256_file(const std::filesystem::path& path);

}  // namespace promptbench::util
