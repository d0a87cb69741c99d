// SPDX-License-Identifier: Apache-2.0
// The file system calls the outputs make (the report's spool, every AtomicFile), behind one
// interface: the seam where tests inject the faults a disk gives -- ENOSPC on the n-th
// write, EIO on fsync, EACCES on open, a failed rename -- in the style of leveldb's
// FaultInjectionTestEnv (tests/unit/faults/fault_file_ops.hpp). Production uses PosixFileOps.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace promptbench::util {

/// POSIX-shaped: each call returns what its system call returns and sets errno on failure,
/// so the callers' error handling is the same for a real fault and an injected one.
class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual int open(const char* path, int flags, mode_t mode) = 0;
  virtual ssize_t write(int fd, const void* data, std::size_t size) = 0;
  virtual ssize_t pread(int fd, void* data, std::size_t size, off_t offset) = 0;
  virtual int fsync(int fd) = 0;
  virtual int close(int fd) = 0;
  virtual int rename(const char* from, const char* to) = 0;
  virtual int unlink(const char* path) = 0;
};

/// The system calls themselves.
class PosixFileOps : public FileOps {
 public:
  int open(const char* path, int flags, mode_t mode) override;
  ssize_t write(int fd, const void* data, std::size_t size) override;
  ssize_t pread(int fd, void* data, std::size_t size, off_t offset) override;
  int fsync(int fd) override;
  int close(int fd) override;
  int rename(const char* from, const char* to) override;
  int unlink(const char* path) override;
};

/// The FileOps the outputs use: PosixFileOps unless a test installed another.
[[nodiscard]] FileOps& file_ops();

/// Makes `ops` the process's FileOps while it lives, then restores the previous one. For
/// tests, on one thread: nothing else may be writing files meanwhile.
class ScopedFileOps {
 public:
  explicit ScopedFileOps(FileOps& ops);
  ~ScopedFileOps();
  ScopedFileOps(const ScopedFileOps&) = delete;
  ScopedFileOps& operator=(const ScopedFileOps&) = delete;

 private:
  FileOps* m_previous;
};

}  // namespace promptbench::util
