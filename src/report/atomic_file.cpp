// SPDX-License-Identifier: Apache-2.0
// AtomicFile: write beside the target under a temporary name, fsync, rename into place.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"

namespace promptbench {

struct AtomicFile::State {
  std::filesystem::path path;
  std::filesystem::path temp;
  std::ofstream out;
  bool committed = false;
};

namespace {

[[noreturn]] void cannot_write(const std::filesystem::path& path, const std::string& reason) {
  throw UserError(fmt::format("cannot write {}: {}", path.string(), reason));
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : m_state(std::make_unique<State>()) {
  m_state->path = std::move(path);
  m_state->temp = m_state->path;
  m_state->temp += fmt::format(".{}.tmp", getpid());
  if (std::filesystem::is_directory(m_state->path)) {
    cannot_write(m_state->path, "it is a directory");
  }
  if (m_state->path.has_parent_path()) {
    std::error_code error;  // a failure shows when the file is opened
    std::filesystem::create_directories(m_state->path.parent_path(), error);
  }
  m_state->out.open(m_state->temp, std::ios::binary | std::ios::trunc);
  if (!m_state->out) {
    cannot_write(m_state->path, std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (!m_state->committed) {
    m_state->out.close();
    std::error_code error;
    std::filesystem::remove(m_state->temp, error);
  }
}

std::ostream& AtomicFile::stream() {
  return m_state->out;
}

void AtomicFile::commit() {
  m_state->out.flush();
  const bool written = static_cast<bool>(m_state->out);
  m_state->out.close();
  if (!written || m_state->out.fail()) {
    cannot_write(m_state->path, "write failed (disk full?)");
  }
  // ofstream has no fsync; a read-only descriptor of the same file can sync it on Linux.
  const int fd = ::open(m_state->temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) {
      ::close(fd);
    }
    cannot_write(m_state->path, reason);
  }
  ::close(fd);
  std::error_code error;
  std::filesystem::rename(m_state->temp, m_state->path, error);
  if (error) {
    cannot_write(m_state->path, error.message());
  }
  m_state->committed = true;
}

void write_report_format(const ReportFormat& format, const ReportSource& report,
                         const std::filesystem::path& path) {
  AtomicFile file(path);
  format.render(report, file.stream());
  file.commit();
}

}  // namespace promptbench
