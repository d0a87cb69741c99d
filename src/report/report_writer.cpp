// SPDX-License-Identifier: Apache-2.0
#include "report/report_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/redact.hpp"
#include "util/atomic_file.hpp"
#include "util/file_ops.hpp"

namespace promptbench {

namespace {

constexpr std::size_t kSpoolBufferBytes = std::size_t{1} << 16;

[[noreturn]] void cannot_write(const std::filesystem::path& path, const std::string& reason) {
  throw UserError(fmt::format("cannot write {}: {}", path.string(), reason));
}

}  // namespace

/// The spool: a descriptor opened for reading and writing, and a buffer in front of it.
/// The descriptor is what finish() reads back, so the name may vanish meanwhile.
struct ReportWriter::Spool {
  util::FileOps& ops = util::file_ops();
  std::filesystem::path path;
  int fd = -1;
  std::string buffer;
  off_t size = 0;  ///< bytes written to the file
  bool empty = true;
  std::optional<std::string> failure;

  /// Writes the buffer out; on failure keeps the first reason and drops the bytes (the
  /// report cannot be complete any more, and holding them would grow without bound).
  void flush() {
    std::string_view bytes = buffer;
    while (!bytes.empty() && !failure) {
      const ssize_t written = ops.write(fd, bytes.data(), bytes.size());
      if (written < 0) {
        if (errno != EINTR) {
          failure = fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
        }
        continue;
      }
      bytes.remove_prefix(static_cast<std::size_t>(written));
      size += written;
    }
    buffer.clear();
  }
};

ReportWriter::ReportWriter(std::filesystem::path output)
    : m_output(std::move(output)), m_spool(std::make_unique<Spool>()) {
  m_spool->path = m_output.string() + ".cases.tmp";
  if (m_output.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(m_output.parent_path(), error);
  }
  m_spool->fd =
      m_spool->ops.open(m_spool->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (m_spool->fd < 0) {
    cannot_write(m_spool->path, std::strerror(errno));
  }
}

ReportWriter::~ReportWriter() {
  // Removed only while the name is still ours: a file someone put there since is theirs.
  struct stat mine {};
  struct stat there {};
  if (::fstat(m_spool->fd, &mine) == 0 && ::stat(m_spool->path.c_str(), &there) == 0 &&
      mine.st_dev == there.st_dev && mine.st_ino == there.st_ino) {
    m_spool->ops.unlink(m_spool->path.c_str());
  }
  m_spool->ops.close(m_spool->fd);
}

void ReportWriter::add_case(const CaseRecord& record) {
  // One case per line keeps the report greppable and the spool append-only.
  m_spool->buffer += m_spool->empty ? "\n    " : ",\n    ";
  const std::size_t line = m_spool->buffer.size();
  append_case_json(m_spool->buffer, record);
  redact_in_place(m_spool->buffer, line);
  m_spool->empty = false;
  if (m_spool->buffer.size() >= kSpoolBufferBytes) {
    m_spool->flush();
  }
}

const std::optional<std::string>& ReportWriter::failure() const {
  return m_spool->failure;
}

void ReportWriter::finish(const ReportSummary& summary) {
  m_spool->flush();
  if (m_spool->failure) {
    throw UserError(*m_spool->failure + fmt::format("; {} was not written", m_output.string()));
  }
  // Everything but "cases" is small: write it, then splice the spooled cases in before the
  // closing brace.
  std::string head =
      redact(to_json(summary).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  head.pop_back();  // the final '}'
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) {
    head.pop_back();
  }
  util::AtomicFile report(m_output);
  report.write(head + ",\n  \"cases\": [");
  std::string chunk(kSpoolBufferBytes, '\0');
  for (off_t at = 0; at < m_spool->size;) {
    const ssize_t got = m_spool->ops.pread(m_spool->fd, chunk.data(), chunk.size(), at);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      cannot_write(m_output,
                   fmt::format("cannot read {}: {}", m_spool->path.string(),
                               got < 0 ? std::strerror(errno) : "it was truncated during the run"));
    }
    report.write(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
    at += got;
  }
  report.write(m_spool->empty ? "]\n}\n" : "\n  ]\n}\n");
  report.commit();
}

}  // namespace promptbench
