// SPDX-License-Identifier: Apache-2.0
// A util::FileOps that does the real calls but fails the ones a test armed, the way a disk
// would: ENOSPC part-way through a write, EIO from fsync, EACCES or EROFS from open, EXDEV
// from rename. Faults apply to the paths ending with a given suffix ("report.json.tmp",
// ".cases.tmp"); install it for a scope with util::ScopedFileOps.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "util/file_ops.hpp"

namespace promptbench::testing {

class FaultFileOps : public util::FileOps {
 public:
  /// open() of a matching path fails with `error`.
  void fail_open(std::string suffix, int error);
  /// Writes to a matching file succeed for `bytes` more bytes in all (a write crossing the
  /// limit is short), then fail with `error`: a file system that fills up.
  void fail_writes_after(std::string suffix, std::size_t bytes, int error);
  void fail_fsync(std::string suffix, int error);
  /// rename() from a matching path fails with `error`.
  void fail_rename(std::string suffix, int error);
  /// Calls that failed because of an armed fault.
  [[nodiscard]] int injected() const { return m_injected; }

  int open(const char* path, int flags, mode_t mode) override;
  ssize_t write(int fd, const void* data, std::size_t size) override;
  ssize_t pread(int fd, void* data, std::size_t size, off_t offset) override;
  int fsync(int fd) override;
  int close(int fd) override;
  int rename(const char* from, const char* to) override;
  int unlink(const char* path) override;

 private:
  enum class Op { open, write, fsync, rename };
  struct Fault {
    Op op;
    std::string suffix;
    int error = 0;
    std::size_t bytes_left = 0;  ///< write: what may still be written
  };
  Fault* find(Op op, const std::string& path);
  int fail(int error);

  util::PosixFileOps m_posix;
  std::vector<Fault> m_faults;
  std::map<int, std::string> m_paths;  ///< open descriptors
  int m_injected = 0;
};

}  // namespace promptbench::testing
