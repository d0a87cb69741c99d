// SPDX-License-Identifier: Apache-2.0
#include "cli/samples_file.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/redact.hpp"

namespace promptbench::cli {

namespace {

using Json = nlohmann::ordered_json;

Json field_or(const Json& object, const char* key, Json fallback) {
  const auto it = object.find(key);
  return it == object.end() ? fallback : *it;
}

}  // namespace

Json sample_line(const Json& case_json, const Json& result) {
  return {{"case_id", case_json.at("id")},
          {"index", case_json.at("index")},
          {"reference", field_or(case_json, "reference", nullptr)},
          {"variant", result.at("variant")},
          {"repeat", result.at("repeat")},
          {"output", field_or(result, "output", nullptr)},
          {"extracted", field_or(result, "extracted", nullptr)},
          {"scores", field_or(result, "scores", Json::object())},
          {"pass", field_or(result, "pass", Json::object())},
          {"latency_ms", field_or(result, "latency_ms", nullptr)},
          {"error", field_or(result, "error", nullptr)}};
}

/// The directory is made first, as for the report: the output check made and removed it.
std::ofstream SamplesFile::open(const std::filesystem::path& path) {
  std::error_code ignored;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ignored);
  }
  return std::ofstream(path, std::ios::binary | std::ios::trunc);
}

SamplesFile::SamplesFile(const std::filesystem::path& path)
    : m_name(path.string()), m_out(open(path)) {
  if (!m_out) {
    throw UserError(fmt::format("--samples {}: cannot write: {}", m_name, std::strerror(errno)));
  }
}

void SamplesFile::write(const CaseRecord& record) {
  const Json case_json = to_json(record);
  for (const Json& result : case_json.at("results")) {
    // The report's own serialisation: invalid UTF-8 in an output becomes U+FFFD, not a throw.
    m_out << redact(sample_line(case_json, result)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          << '\n';
  }
  m_out.flush();
  if (!m_out) {
    throw UserError(fmt::format("--samples {}: cannot write", m_name));
  }
}

}  // namespace promptbench::cli
