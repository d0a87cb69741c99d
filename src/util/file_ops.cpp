// SPDX-License-Identifier: Apache-2.0
#include "util/file_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace promptbench::util {

namespace {

PosixFileOps g_posix;
FileOps* g_current = &g_posix;

}  // namespace

int PosixFileOps::open(const char* path, int flags, mode_t mode) {
  return ::open(path, flags, mode);
}

ssize_t PosixFileOps::write(int fd, const void* data, std::size_t size) {
  return ::write(fd, data, size);
}

ssize_t PosixFileOps::pread(int fd, void* data, std::size_t size, off_t offset) {
  return ::pread(fd, data, size, offset);
}

int PosixFileOps::fsync(int fd) {
  return ::fsync(fd);
}

int PosixFileOps::close(int fd) {
  return ::close(fd);
}

int PosixFileOps::rename(const char* from, const char* to) {
  return std::rename(from, to);
}

int PosixFileOps::unlink(const char* path) {
  return ::unlink(path);
}

FileOps& file_ops() {
  return *g_current;
}

ScopedFileOps::ScopedFileOps(FileOps& ops) : m_previous(g_current) {
  g_current = &ops;
}

ScopedFileOps::~ScopedFileOps() {
  g_current = m_previous;
}

}  // namespace promptbench::util
