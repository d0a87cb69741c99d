// SPDX-License-Identifier: Apache-2.0
// command: an external scorer in any language, one long-lived process per metric speaking
// JSON lines (docs/SCORERS.md). A timeout, an exit or a reply that is not the protocol's is
// an error on that case, and the next case starts a fresh scorer.
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/scorer_process.hpp"

namespace promptbench {

namespace {

using nlohmann::json;

class Command : public Metric {
 public:
  Command(const MetricSpec& spec, std::vector<std::string> argv, std::chrono::milliseconds timeout)
      : Metric(spec.name, true, spec.threshold),
        m_process(std::move(argv), spec.base_dir),
        m_timeout(timeout) {}

  bool external() const override { return true; }

  tl::expected<Score, std::string> score(const ScoreInput& input) const override {
    const json request = {{"id", input.case_id},
                          {"output", input.output},
                          {"raw_output", input.raw_output},
                          {"reference", input.reference},
                          {"vars", input.vars}};
    const auto reply =
        m_process.exchange(request.dump(-1, ' ', false, json::error_handler_t::replace), m_timeout);
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    auto parsed = parse_reply(*reply);
    if (!parsed) {
      m_process.stop();  // out of step with the protocol: start afresh for the next case
    }
    return parsed;
  }

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    return score(input).map([](const Score& s) { return s.value; });
  }

 private:
  tl::expected<Score, std::string> parse_reply(const std::string& reply) const {
    return parse_scorer_reply(reply).map([&](const ScorerReply& read) {
      Score result;
      result.value = read.score;
      result.pass = read.pass ? read.pass : pass(read.score);
      if (!read.reason.is_null()) {
        result.detail = {{"reason", read.reason}};
      }
      return result;
    });
  }

  mutable ScorerProcess m_process;  // scoring is logically const; the process is a cache
  std::chrono::milliseconds m_timeout;
};

/// `run` as an argument vector: a list as it is, a string split at whitespace (no shell).
std::vector<std::string> command_line(const MetricParams& params) {
  if (!params.has("run")) {
    throw ParamError("run", "missing required parameter 'run' (the scorer's command line)");
  }
  std::vector<std::string> argv;
  if (params.raw().at("run").is_array()) {
    argv = params.get_string_list("run");
  } else {
    std::istringstream words(params.get_string("run", ""));
    for (std::string word; words >> word;) {
      argv.push_back(word);
    }
  }
  if (argv.empty() || argv.front().empty()) {
    throw ParamError("run", "expected a command line, got an empty one");
  }
  return argv;
}

bool is_executable(const std::filesystem::path& path) {
  return ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path);
}

/// The program must exist now, so that a typo fails when the config loads, not per case.
void check_program(const std::string& program, const std::filesystem::path& base_dir) {
  if (program.find('/') != std::string::npos) {
    if (!is_executable(base_dir / program)) {
      throw ParamError("run", fmt::format("'{}' is not an executable file (paths are relative "
                                          "to the config file)",
                                          program));
    }
    return;
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (is_executable(std::filesystem::path(dir.empty() ? "." : dir) / program)) {
      return;
    }
  }
  throw ParamError("run", fmt::format("program '{}' not found on PATH", program));
}

}  // namespace

std::unique_ptr<Metric> make_command(const MetricSpec& spec) {
  spec.params.allow_only({"run", "timeout"});
  std::vector<std::string> argv = command_line(spec.params);
  check_program(argv.front(), spec.base_dir);
  std::chrono::milliseconds timeout(30'000);
  if (spec.params.has("timeout")) {
    const json& value = spec.params.raw().at("timeout");
    const std::optional<std::chrono::milliseconds> parsed =
        value.is_number()   ? parse_duration(fmt::format("{}s", value.get<double>()))
        : value.is_string() ? parse_duration(value.get<std::string>())
                            : std::nullopt;
    if (!parsed || parsed->count() <= 0) {
      throw ParamError("timeout",
                       fmt::format("expected a duration like 10s or 500ms, got {}", value.dump()));
    }
    timeout = *parsed;
  }
  return std::make_unique<Command>(spec, std::move(argv), timeout);
}

}  // namespace promptbench
