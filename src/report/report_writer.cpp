// SPDX-License-Identifier: Apache-2.0
#include "report/report_writer.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/redact.hpp"
#include "util/atomic_file.hpp"

namespace promptbench {

struct ReportWriter::Spool {
  std::filesystem::path path;
  std::ofstream file;
  bool empty = true;
};

namespace {

[[noreturn]] void cannot_write(const std::filesystem::path& path, const std::string& reason) {
  throw UserError(fmt::format("cannot write {}: {}", path.string(), reason));
}

}  // namespace

ReportWriter::ReportWriter(std::filesystem::path output)
    : m_output(std::move(output)), m_spool(std::make_unique<Spool>()) {
  m_spool->path = m_output.string() + ".cases.tmp";
  if (m_output.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(m_output.parent_path(), error);
  }
  m_spool->file.open(m_spool->path, std::ios::binary | std::ios::trunc);
  if (!m_spool->file) {
    cannot_write(m_spool->path, std::strerror(errno));
  }
}

ReportWriter::~ReportWriter() {
  m_spool->file.close();
  std::error_code error;
  std::filesystem::remove(m_spool->path, error);
}

void ReportWriter::add_case(const nlohmann::ordered_json& case_json) {
  // One case per line keeps the report greppable and the spool append-only.
  m_spool->file << (m_spool->empty ? "\n    " : ",\n    ")
                << redact(case_json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  m_spool->empty = false;
}

void ReportWriter::finish(const ReportSummary& summary) {
  m_spool->file.flush();
  if (!m_spool->file) {
    cannot_write(m_spool->path, "the spool of cases could not be written");
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
  std::ifstream spool(m_spool->path, std::ios::binary);
  if (!spool) {
    cannot_write(m_output, fmt::format("cannot read {}", m_spool->path.string()));
  }
  char buffer[1 << 16];
  while (spool.read(buffer, sizeof buffer) || spool.gcount() > 0) {
    report.write(std::string_view(buffer, static_cast<std::size_t>(spool.gcount())));
  }
  report.write(m_spool->empty ? "]\n}\n" : "\n  ]\n}\n");
  report.commit();
}

}  // namespace promptbench
