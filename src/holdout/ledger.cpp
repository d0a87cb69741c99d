// SPDX-License-Identifier: Apache-2.0
// The holdout ledger: read, counted, appended under a lock, replaced atomically.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/holdout.hpp"
#include "util/atomic_file.hpp"
#include "util/sha256.hpp"

namespace promptbench {

namespace {

constexpr const char* kLedgerFormat = "promptbench-holdout-ledger";
constexpr int kLedgerVersion = 1;
constexpr const char* kNeverReset =
    "fix it or restore it (e.g. from git); deleting it would reset the count of looks";

nlohmann::ordered_json empty_ledger() {
  return {{"format", kLedgerFormat},
          {"version", kLedgerVersion},
          {"looks", nlohmann::ordered_json::array()}};
}

[[noreturn]] void refuse_corrupt_ledger(const std::filesystem::path& path,
                                        const std::string& pointer, const std::string& what) {
  throw UserError(SourceLocation{path.string()}, "",
                  fmt::format("not a holdout ledger: {}{}; {}", pointer.empty() ? "" : pointer,
                              pointer.empty() ? what : ": " + what, kNeverReset));
}

/// The ledger's shape: what count() and append() rely on.
void check_ledger(const std::filesystem::path& path, const nlohmann::ordered_json& document) {
  // Compared as JSON values, not read with value<T>(): a field of another type is a corrupt
  // ledger, not a type_error escaping as an internal one.
  const auto format = document.find("format");  // end() for a document that is no object
  if (format == document.end() || *format != kLedgerFormat) {
    refuse_corrupt_ledger(path, "/format", fmt::format("expected \"{}\"", kLedgerFormat));
  }
  const auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() || *version != kLedgerVersion) {
    refuse_corrupt_ledger(path, "/version", fmt::format("expected {}", kLedgerVersion));
  }
  const auto looks = document.find("looks");
  if (looks == document.end() || !looks->is_array()) {
    refuse_corrupt_ledger(path, "/looks", "expected an array");
  }
  for (std::size_t i = 0; i < looks->size(); ++i) {
    const nlohmann::ordered_json& look = (*looks)[i];
    for (const char* key : {"split", "prompts"}) {
      if (!look.is_object() || !look.contains(key) || !look[key].is_object()) {
        refuse_corrupt_ledger(path, fmt::format("/looks/{}/{}", i, key), "expected an object");
      }
    }
  }
}

nlohmann::ordered_json read_ledger_document(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return empty_ledger();
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof()) {
    throw UserError(SourceLocation{path.string()}, "",
                    fmt::format("cannot read the holdout ledger: {}", std::strerror(errno)));
  }
  const std::string text = buffer.str();
  nlohmann::ordered_json document;
  try {
    document = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t offset = e.byte == 0 ? 0 : std::min(e.byte - 1, text.size());
    throw UserError(location_of_offset(path.string(), text, offset), "",
                    fmt::format("not a holdout ledger: malformed JSON; {}", kNeverReset));
  } catch (const nlohmann::json::out_of_range&) {
    // A number beyond a double (1e400): nlohmann gives no position for it.
    throw UserError(
        SourceLocation{path.string()}, "",
        fmt::format("not a holdout ledger: a number too large for a double; {}", kNeverReset));
  }
  check_ledger(path, document);
  return document;
}

/// An exclusive flock on the ledger's folder while it lives: concurrent runs append one
/// after the other.
class LedgerFolderLock {
 public:
  explicit LedgerFolderLock(const std::filesystem::path& folder)
      : m_fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (m_fd < 0 || ::flock(m_fd, LOCK_EX) != 0) {
      const std::string reason = std::strerror(errno);
      if (m_fd >= 0) {
        ::close(m_fd);
      }
      throw UserError(
          fmt::format("cannot lock {} for the holdout ledger: {}", folder.string(), reason));
    }
  }
  ~LedgerFolderLock() {
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
  }
  LedgerFolderLock(const LedgerFolderLock&) = delete;
  LedgerFolderLock& operator=(const LedgerFolderLock&) = delete;

 private:
  int m_fd;
};

}  // namespace

std::filesystem::path holdout_ledger_path(const std::filesystem::path& cache) {
  const std::filesystem::path folder = cache.parent_path();
  return (folder.empty() ? std::filesystem::path(".") : folder) / kHoldoutLedgerName;
}

nlohmann::ordered_json holdout_split_key(const Config& config,
                                         const std::filesystem::path& ledger) {
  std::error_code error;
  const std::filesystem::path dataset =
      std::filesystem::weakly_canonical(config.dataset.path, error);
  const std::filesystem::path folder =
      std::filesystem::weakly_canonical(std::filesystem::absolute(ledger).parent_path(), error);
  const std::filesystem::path seen = std::filesystem::proximate(dataset, folder, error);
  return {{"dataset", (error ? dataset : seen).generic_string()},
          {"split", to_json(config.dataset.split)}};
}

std::string prompt_sha256(const PromptConfig& prompt) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const MessageTemplate& message : prompt.messages) {
    messages.push_back({message.role, message.content});
  }
  const nlohmann::ordered_json sent = {
      {"text", prompt.text}, {"messages", messages}, {"params", prompt.params}};
  return util::sha256_hex(sent.dump());
}

HoldoutLedger HoldoutLedger::read(const std::filesystem::path& path) {
  HoldoutLedger ledger;
  ledger.m_path = path;
  ledger.m_document = read_ledger_document(path);
  return ledger;
}

LookCount HoldoutLedger::count(const nlohmann::ordered_json& split_key) const {
  LookCount count;
  std::set<std::string> versions;
  for (const nlohmann::ordered_json& look : m_document["looks"]) {
    if (look["split"] == split_key) {
      ++count.looks;
      versions.insert(look["prompts"].dump());
    }
  }
  count.prompt_versions = versions.size();
  return count;
}

void HoldoutLedger::append(const std::filesystem::path& path, const nlohmann::ordered_json& look) {
  const std::filesystem::path folder =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  const LedgerFolderLock lock(folder);
  nlohmann::ordered_json document = read_ledger_document(path);
  document["looks"].push_back(look);
  util::write_file_atomically(path, document.dump(2) + "\n");
}

HoldoutGuard::HoldoutGuard(const Config& config, const std::vector<std::string>& prompt_ids,
                           const std::filesystem::path& ledger, SplitChoice choice,
                           const Shard& shard, bool force)
    : m_ledger(ledger),
      m_key(holdout_split_key(config, ledger)),
      m_prompts(nlohmann::ordered_json::object()),
      m_config_sha256(config.sha256),
      m_choice(choice),
      m_counts(shard.whole() || shard.index == 0) {
  for (const PromptConfig& prompt : config.prompts) {
    if (prompt_ids.empty() ||
        std::find(prompt_ids.begin(), prompt_ids.end(), prompt.id) != prompt_ids.end()) {
      m_prompts[prompt.id] = prompt_sha256(prompt);
    }
  }
  const LookCount before = HoldoutLedger::read(ledger).count(m_key);
  std::cerr << fmt::format(
      "promptbench: test split looked at {} time{} before, by {} distinct prompt version{} "
      "(ledger {}){}\n",
      before.looks, before.looks == 1 ? "" : "s", before.prompt_versions,
      before.prompt_versions == 1 ? "" : "s", ledger.string(),
      m_counts ? "" : "; this shard does not count: shard 0 records the run's look");
  const std::optional<int> max = config.holdout.max_looks;
  const bool over = max && before.looks >= static_cast<std::size_t>(*max);
  if (over && m_counts && !force) {
    throw UserError(
        config.holdout.where, "holdout.max_looks",
        fmt::format("the test split was looked at {} time{} already, and max_looks is {}: "
                    "every look spends some of its power to show overfitting; iterate on "
                    "--split dev, or pass --force-look to look anyway (it is recorded)",
                    before.looks, before.looks == 1 ? "" : "s", *max));
  }
  m_report = {{"look", before.looks + 1},
              {"max_looks", max ? nlohmann::ordered_json(*max) : nlohmann::ordered_json()},
              {"forced", over && force},
              {"ledger", ledger.string()}};
}

void HoldoutGuard::record(const ReportSummary& summary) const {
  if (!m_counts) {
    return;
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::object();
  for (const VariantSummary& variant : summary.variants) {
    nlohmann::ordered_json means = nlohmann::ordered_json::object();
    for (const MetricSummary& metric : variant.metrics) {
      means[metric.name] =
          metric.n == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(metric.mean);
    }
    results[variant.id] = std::move(means);
  }
  const bool gates_passed = std::all_of(summary.gates.begin(), summary.gates.end(),
                                        [](const GateResult& gate) { return gate.passed; });
  const RunInfo& run = summary.run;
  nlohmann::ordered_json look = {
      {"at", run.finished_at.empty() ? utc_timestamp() : run.finished_at},
      {"split", m_key},
      {"run", to_string(m_choice)},
      {"look", m_report["look"]},
      {"forced", m_report["forced"]},
      {"cases", run.shard_cases},
      {"complete", run.complete},
      {"config_sha256", m_config_sha256},
      {"prompts", m_prompts},
      {"results", std::move(results)},
      {"gates", summary.gates.empty() ? "none"
                : !run.shard.whole()  ? "deferred to merge"
                : gates_passed        ? "passed"
                                      : "failed"}};
  if (!run.shard.whole()) {
    look["shard"] = fmt::format("{}/{}", run.shard.index, run.shard.count);
  }
  HoldoutLedger::append(m_ledger, look);
}

}  // namespace promptbench
