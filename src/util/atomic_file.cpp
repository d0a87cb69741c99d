// SPDX-License-Identifier: Apache-2.0
// AtomicFile on POSIX descriptors rather than std::ofstream: fsync needs the descriptor,
// and a failed write(2) says why (ENOSPC, EIO), which an ofstream's failbit does not.
#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <streambuf>
#include <string>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "util/file_ops.hpp"

namespace promptbench::util {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 16;

[[noreturn]] void cannot_write(const fs::path& target, const std::string& reason) {
  throw UserError(fmt::format("cannot write {}: {}", target.string(), reason));
}

/// Writes all of `bytes` to `fd`: 0, or the errno of the failure.
int write_all(FileOps& ops, int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ops.write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

/// Makes a rename in `directory` durable. Best effort: some file systems refuse to sync a
/// directory, and the file itself is already synced and in place.
void sync_directory(const fs::path& directory) {
  const int fd =
      ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

/// The open temporary file, its buffer, and the first error a write met (0 for none).
struct AtomicFile::Impl : std::streambuf {
  FileOps& ops = file_ops();  ///< the one of when the file was created, to the end
  fs::path target;
  fs::path temp;
  int fd = -1;
  std::string buffer;
  int error = 0;
  bool committed = false;
  bool owns_temp = true;  ///< false once another writer has taken the temporary name over
  std::ostream out{this};

  /// Buffers `bytes`, writing the buffer out when it is full. False after a failure (the
  /// errno is kept in `error`); never throws, so the stream can use it too.
  bool append(std::string_view bytes) {
    if (error != 0) {
      return false;
    }
    if (buffer.size() + bytes.size() > kBufferBytes && !flush_buffer()) {
      return false;
    }
    if (bytes.size() >= kBufferBytes) {
      error = write_all(ops, fd, bytes);  // a large chunk (a spooled file) skips the copy
      return error == 0;
    }
    buffer.append(bytes);
    return true;
  }

  bool flush_buffer() {
    if (error == 0) {
      error = write_all(ops, fd, buffer);
    }
    buffer.clear();
    return error == 0;
  }

  /// Closes and removes the temporary file (the target is untouched).
  void discard() {
    if (fd >= 0) {
      ops.close(fd);
      fd = -1;
    }
    if (owns_temp) {
      ops.unlink(temp.c_str());
    }
  }

  [[noreturn]] void fail(const std::string& reason) {
    discard();
    cannot_write(target, reason);
  }

  // std::streambuf: every character goes through append(); no put area of its own.
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) {
      return traits_type::not_eof(c);
    }
    const char ch = traits_type::to_char_type(c);
    return append(std::string_view(&ch, 1)) ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    return append(std::string_view(data, static_cast<std::size_t>(n))) ? n : 0;
  }
  int sync() override { return flush_buffer() ? 0 : -1; }
};

fs::path atomic_temp_path(const fs::path& target) {
  fs::path temp = target;
  temp += ".tmp";
  return temp;
}

AtomicFile::AtomicFile(fs::path target) : m_impl(std::make_unique<Impl>()) {
  m_impl->target = std::move(target);
  m_impl->temp = atomic_temp_path(m_impl->target);
  if (fs::is_directory(m_impl->target)) {
    cannot_write(m_impl->target, "it is a directory");
  }
  if (m_impl->target.has_parent_path()) {
    std::error_code ignored;  // a failure shows when the file is created, with its reason
    fs::create_directories(m_impl->target.parent_path(), ignored);
  }
  // A leftover of a crash (or a symlink someone left there) is removed, not followed or
  // appended to: the file written is always a new one, created here.
  m_impl->ops.unlink(m_impl->temp.c_str());
  m_impl->fd =
      m_impl->ops.open(m_impl->temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (m_impl->fd < 0) {
    cannot_write(m_impl->target, std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (!m_impl->committed) {
    m_impl->discard();
  }
}

void AtomicFile::write(std::string_view bytes) {
  if (!m_impl->append(bytes)) {
    m_impl->fail(std::strerror(m_impl->error));
  }
}

std::ostream& AtomicFile::stream() {
  return m_impl->out;
}

const fs::path& AtomicFile::target() const {
  return m_impl->target;
}

void AtomicFile::commit() {
  Impl& impl = *m_impl;
  if (impl.committed || impl.fd < 0) {
    cannot_write(impl.target, "committed twice");
  }
  if (!impl.flush_buffer()) {
    impl.fail(std::strerror(impl.error));
  }
  if (impl.ops.fsync(impl.fd) != 0) {
    impl.fail(std::strerror(errno));
  }
  // Another process writing the same target may have replaced the temporary file since it
  // was created (see the header); renaming now would publish its unfinished bytes.
  struct stat mine {};
  struct stat there {};
  const bool have_mine = ::fstat(impl.fd, &mine) == 0;
  const bool have_there = ::stat(impl.temp.c_str(), &there) == 0;
  if (have_mine && !have_there && errno == ENOENT) {
    impl.owns_temp = false;
    impl.discard();
    cannot_write(impl.target, fmt::format("{} was deleted while it was being written; {} is "
                                          "as it was",
                                          impl.temp.string(), impl.target.string()));
  }
  if (!have_mine || !have_there || mine.st_dev != there.st_dev || mine.st_ino != there.st_ino) {
    impl.owns_temp = false;
    impl.discard();
    cannot_write(impl.target, fmt::format("{} was replaced by another process writing the "
                                          "same file; the other write wins",
                                          impl.temp.string()));
  }
  const int closed = impl.ops.close(impl.fd);
  impl.fd = -1;
  if (closed != 0) {
    impl.fail(std::strerror(errno));
  }
  if (impl.ops.rename(impl.temp.c_str(), impl.target.c_str()) != 0) {
    impl.fail(std::strerror(errno));
  }
  impl.committed = true;
  sync_directory(impl.target.parent_path());
}

void write_file_atomically(const fs::path& target, std::string_view contents) {
  AtomicFile file(target);
  file.write(contents);
  file.commit();
}

}  // namespace promptbench::util
