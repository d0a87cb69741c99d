// SPDX-License-Identifier: Apache-2.0
#include "unit/faults/fault_file_ops.hpp"

#include <algorithm>
#include <cerrno>

namespace promptbench::testing {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), text.rbegin());
}

}  // namespace

void FaultFileOps::fail_open(std::string suffix, int error) {
  m_faults.push_back({Op::open, std::move(suffix), error, 0});
}

void FaultFileOps::fail_writes_after(std::string suffix, std::size_t bytes, int error) {
  m_faults.push_back({Op::write, std::move(suffix), error, bytes});
}

void FaultFileOps::fail_fsync(std::string suffix, int error) {
  m_faults.push_back({Op::fsync, std::move(suffix), error, 0});
}

void FaultFileOps::fail_rename(std::string suffix, int error) {
  m_faults.push_back({Op::rename, std::move(suffix), error, 0});
}

FaultFileOps::Fault* FaultFileOps::find(Op op, const std::string& path) {
  for (Fault& fault : m_faults) {
    if (fault.op == op && ends_with(path, fault.suffix)) {
      return &fault;
    }
  }
  return nullptr;
}

int FaultFileOps::fail(int error) {
  ++m_injected;
  errno = error;
  return -1;
}

int FaultFileOps::open(const char* path, int flags, mode_t mode) {
  if (const Fault* fault = find(Op::open, path)) {
    return fail(fault->error);
  }
  const int fd = m_posix.open(path, flags, mode);
  if (fd >= 0) {
    m_paths[fd] = path;
  }
  return fd;
}

ssize_t FaultFileOps::write(int fd, const void* data, std::size_t size) {
  const auto path = m_paths.find(fd);
  Fault* fault = path != m_paths.end() ? find(Op::write, path->second) : nullptr;
  if (fault == nullptr) {
    return m_posix.write(fd, data, size);
  }
  if (fault->bytes_left == 0) {
    return fail(fault->error);
  }
  const std::size_t allowed = std::min(size, fault->bytes_left);
  const ssize_t written = m_posix.write(fd, data, allowed);
  if (written > 0) {
    fault->bytes_left -= static_cast<std::size_t>(written);
  }
  return written;
}

ssize_t FaultFileOps::pread(int fd, void* data, std::size_t size, off_t offset) {
  return m_posix.pread(fd, data, size, offset);
}

int FaultFileOps::fsync(int fd) {
  const auto path = m_paths.find(fd);
  if (const Fault* fault = path != m_paths.end() ? find(Op::fsync, path->second) : nullptr) {
    return fail(fault->error);
  }
  return m_posix.fsync(fd);
}

int FaultFileOps::close(int fd) {
  m_paths.erase(fd);
  return m_posix.close(fd);
}

int FaultFileOps::rename(const char* from, const char* to) {
  if (const Fault* fault = find(Op::rename, from)) {
    return fail(fault->error);
  }
  return m_posix.rename(from, to);
}

int FaultFileOps::unlink(const char* path) {
  return m_posix.unlink(path);
}

}  // namespace promptbench::testing
