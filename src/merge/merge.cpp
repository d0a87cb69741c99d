// SPDX-License-Identifier: Apache-2.0
// `merge`: shards of one run back into one report. The parts' heads are checked against the
// first one; their cases, each part in dataset order, are merged by index through one
// CaseStream per part, checked (in range, in the part's shard, in no other part), fed to a
// fresh accumulator in dataset order -- exactly as `eval` feeds it -- and spooled to the new
// report. Memory holds the accumulator's few numbers per case and a few cases per part.
#include "promptbench/merge.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <queue>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "merge/case_stream.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/summary.hpp"
#include "report/json_checks.hpp"
#include "report/report_writer.hpp"

namespace promptbench {

namespace {

using report_checks::Json;
using report_checks::member;

std::string text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::size_t count(const Json& value, std::size_t fallback = 0) {
  return value.is_number_unsigned() ? value.get<std::size_t>() : fallback;
}

/// One part: its report and what the checks and the merged run info need from its head.
struct Part {
  std::unique_ptr<ReportSource> report;
  std::string name;
  const Json* run = nullptr;
  Shard shard;

  [[nodiscard]] const Json& field(const char* key) const { return member(*run, key); }
};

Part open_part(const std::filesystem::path& path) {
  Part part;
  part.report = open_report_file(path);
  part.name = part.report->name();
  part.run = &member(part.report->head(), "run");
  const Json& shard = member(*part.run, "shard");
  part.shard = {count(member(shard, "index")), count(member(shard, "count"), 1)};
  if (part.shard.count == 0 || part.shard.index >= part.shard.count) {
    throw UserError(fmt::format("{}: run.shard: index {} of count {} is not a shard", part.name,
                                part.shard.index, part.shard.count));
  }
  return part;
}

/// What must be equal in every part for them to be shards of one run, and the words for it.
struct Agreement {
  const char* field;
  const char* meaning;
  Json (*read)(const Part& part);
};

Json variant_ids(const Part& part) {
  Json ids = Json::array();
  for (const Json& variant : member(part.report->head(), "variants")) {
    ids.push_back(member(variant, "id"));
  }
  return ids;
}

const Agreement kAgreements[] = {
    {"run.config_sha256", "another config", [](const Part& p) { return p.field("config_sha256"); }},
    {"run.dataset.sha256", "another dataset",
     [](const Part& p) { return member(p.field("dataset"), "sha256"); }},
    {"run.dataset.cases", "another number of cases (--limit)",
     [](const Part& p) { return member(p.field("dataset"), "cases"); }},
    {"run.split", "another split (--split, dataset.split)",
     [](const Part& p) { return p.field("split"); }},
    {"run.selection", "another case selection (--case, --sample...)",
     [](const Part& p) { return p.field("selection"); }},
    {"run.shard.count", "another number of shards",
     [](const Part& p) { return Json(p.shard.count); }},
    {"run.seed", "another --seed", [](const Part& p) { return p.field("seed"); }},
    {"run.repeat", "another --repeat", [](const Part& p) { return p.field("repeat"); }},
    {"variants", "other variants (--prompt/--provider)", &variant_ids},
    {"run.baseline", "another baseline", [](const Part& p) { return p.field("baseline"); }},
    {"run.alpha", "another alpha", [](const Part& p) { return p.field("alpha"); }},
    {"run.min_effect", "another min_effect", [](const Part& p) { return p.field("min_effect"); }},
    {"gates", "other gates", [](const Part& p) { return member(p.report->head(), "gates"); }},
};

/// The gates as configured (metric, variant, bounds), without the figures of the part.
Json gate_settings(const Json& gates) {
  Json settings = Json::array();
  for (const Json& gate : gates) {
    Json setting = Json::object();
    for (const char* key :
         {"metric", "variant", "on", "min", "max", "max_unscored", "max_unscored_percent"}) {
      setting[key] = member(gate, key);
    }
    // A slice gate as configured: `each` gives one result per value a shard happens to hold.
    if (const Json& slice = member(gate, "gate_slice"); !slice.is_null()) {
      setting["gate_slice"] = slice;
      if (std::find(settings.begin(), settings.end(), setting) != settings.end()) {
        continue;
      }
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

void check_agreement(const std::vector<Part>& parts) {
  for (const Agreement& agreement : kAgreements) {
    const auto read = [&](const Part& part) {
      const Json value = agreement.read(part);
      return std::string(agreement.field) == "gates" ? gate_settings(value) : value;
    };
    const Json expected = read(parts.front());
    for (const Part& part : parts) {
      if (const Json value = read(part); value != expected) {
        throw UserError(fmt::format("{}: {} is {}, but {} has {}: not a shard of the same run ({})",
                                    part.name, agreement.field, text(value), parts.front().name,
                                    text(expected), agreement.meaning));
      }
    }
  }
}

/// Every shard once; the missing ones listed (an error unless they are allowed).
std::vector<std::size_t> check_shards(const std::vector<Part>& parts, bool allow_missing) {
  const std::size_t shards = parts.front().shard.count;
  std::map<std::size_t, const Part*> seen;
  for (const Part& part : parts) {
    const auto [it, added] = seen.emplace(part.shard.index, &part);
    if (!added) {
      throw UserError(fmt::format("{}: shard {} of {} again: {} is that shard already", part.name,
                                  part.shard.index, shards, it->second->name));
    }
  }
  std::vector<std::size_t> missing;
  for (std::size_t shard = 0; shard < shards; ++shard) {
    if (seen.count(shard) == 0) {
      missing.push_back(shard);
    }
  }
  if (!missing.empty() && !allow_missing) {
    throw UserError(fmt::format(
        "shard{} {} of {} missing: no part has {} (merge them all, or pass --allow-missing to "
        "write an incomplete report)",
        missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), shards,
        missing.size() == 1 ? "it" : "them"));
  }
  return missing;
}

// --- the run's error tallies, summed over the parts -----------------------------------------

ErrorTally tally_from(const Json& json) {
  ErrorTally tally;
  tally.failed = count(member(json, "failed"));
  tally.total = count(member(json, "total"));
  for (const auto& [kind, n] : member(json, "by_kind").items()) {
    tally.by_kind[kind] = count(n);
  }
  if (const Json& first = member(json, "first"); first.is_object()) {
    tally.first = FirstError{
        0,
        text(member(first, "case")),
        text(member(first, "variant")),
        member(first, "source").is_string() ? text(member(first, "source")) : "",
        text(member(first, "kind")),
        member(first, "status").is_number_integer() ? member(first, "status").get<int>() : 0,
        text(member(first, "message"))};
  }
  return tally;
}

/// Adds `part` to `total`; the first error stays the one of the earliest case (by the
/// dataset indices the merge has seen).
void add_tally(ErrorTally& total, const ErrorTally& part,
               const std::map<std::string, std::size_t>& index_of) {
  total.failed += part.failed;
  total.total += part.total;
  for (const auto& [kind, n] : part.by_kind) {
    total.by_kind[kind] += n;
  }
  if (!part.first) {
    return;
  }
  FirstError candidate = *part.first;
  const auto at = index_of.find(candidate.case_id);
  candidate.case_index = at == index_of.end() ? SIZE_MAX : at->second;
  if (!total.first || candidate.case_index < total.first->case_index) {
    total.first = candidate;
  }
}

struct Tallies {
  std::vector<ErrorTally> requests, judges, scorers;
  std::size_t allowed = 0;
  std::size_t extract_failures = 0;
};

Tallies read_tallies(const std::vector<Part>& parts) {
  Tallies tallies;
  for (const Part& part : parts) {
    const Json& errors = part.field("errors");
    tallies.requests.push_back(tally_from(member(errors, "requests")));
    tallies.judges.push_back(tally_from(member(errors, "judges")));
    tallies.scorers.push_back(tally_from(member(errors, "scorers")));
    tallies.allowed += count(member(errors, "allowed"));
    tallies.extract_failures += count(member(errors, "extract_failures"));
  }
  return tallies;
}

/// The case ids the parts' first errors name: the merge notes their dataset index.
std::set<std::string> first_error_cases(const Tallies& tallies) {
  std::set<std::string> ids;
  for (const auto* list : {&tallies.requests, &tallies.judges, &tallies.scorers}) {
    for (const ErrorTally& tally : *list) {
      if (tally.first) {
        ids.insert(tally.first->case_id);
      }
    }
  }
  return ids;
}

RunErrors merged_errors(const Tallies& tallies,
                        const std::map<std::string, std::size_t>& index_of) {
  RunErrors errors;
  for (std::size_t p = 0; p < tallies.requests.size(); ++p) {
    add_tally(errors.requests, tallies.requests[p], index_of);
    add_tally(errors.judges, tallies.judges[p], index_of);
    add_tally(errors.scorers, tallies.scorers[p], index_of);
  }
  errors.allowed = tallies.allowed;
  errors.extract_failures = tallies.extract_failures;
  return errors;
}

std::vector<ReplicaCount> merged_replicas(const std::vector<Part>& parts) {
  std::vector<ReplicaCount> replicas;
  for (const Part& part : parts) {
    for (const Json& replica : part.field("replicas")) {
      const std::string provider = text(member(replica, "provider"));
      const std::string url = text(member(replica, "base_url"));
      auto it = std::find_if(replicas.begin(), replicas.end(), [&](const ReplicaCount& r) {
        return r.provider == provider && r.base_url == url;
      });
      if (it == replicas.end()) {
        it = replicas.insert(replicas.end(), ReplicaCount{provider, url, 0, 0});
      }
      it->requests += count(member(replica, "requests"));
      it->failures += count(member(replica, "failures"));
    }
  }
  return replicas;
}

// --- the cases ------------------------------------------------------------------------------

/// The parts' cases in dataset order, each checked to belong where it is.
class CaseMerger {
 public:
  CaseMerger(const std::vector<Part>& parts, std::size_t dataset_cases)
      : m_parts(parts), m_dataset_cases(dataset_cases), m_current(parts.size()) {
    for (const Part& part : parts) {
      m_streams.push_back(std::make_unique<CaseStream>(*part.report));
    }
    for (std::size_t p = 0; p < parts.size(); ++p) {
      pull(p);
    }
  }

  /// The next case of the dataset order and its part; nullopt when every part is done.
  std::optional<std::pair<CaseRecord, std::size_t>> next() {
    if (m_heads.empty()) {
      return std::nullopt;
    }
    const std::size_t p = m_heads.top().second;
    m_heads.pop();
    CaseRecord record = std::move(*m_current[p]);
    check(record, p);
    pull(p);
    return std::pair{std::move(record), p};
  }

 private:
  void pull(std::size_t p) {
    m_current[p] = m_streams[p]->next();
    if (m_current[p]) {
      m_heads.emplace(m_current[p]->index, p);
    }
  }

  void check(const CaseRecord& record, std::size_t p) {
    const Part& part = m_parts[p];
    if (record.index >= m_dataset_cases) {
      throw UserError(fmt::format("{}: case '{}' has index {}, beyond the dataset's {} cases",
                                  part.name, record.id, record.index, m_dataset_cases));
    }
    if (!part.shard.holds(record.id)) {
      throw UserError(
          fmt::format("{}: case '{}' belongs to shard {} of {}, not to this part's "
                      "shard {}",
                      part.name, record.id, shard_of(record.id, part.shard.count), part.shard.count,
                      part.shard.index));
    }
    if (m_last && m_last->first == record.index) {
      throw UserError(fmt::format("{}: case '{}' (index {}) is also in {}: the parts overlap",
                                  part.name, record.id, record.index,
                                  m_parts[m_last->second].name));
    }
    m_last = {record.index, p};
  }

  const std::vector<Part>& m_parts;
  std::size_t m_dataset_cases;
  std::vector<std::optional<CaseRecord>> m_current;  ///< each part's next case
  std::vector<std::unique_ptr<CaseStream>> m_streams;
  /// (index, part) of each part's next case, the smallest index on top.
  std::priority_queue<std::pair<std::size_t, std::size_t>,
                      std::vector<std::pair<std::size_t, std::size_t>>, std::greater<>>
      m_heads;
  std::optional<std::pair<std::size_t, std::size_t>> m_last;  ///< (index, part) of the last case
};

/// The cases the shards split: the selected ones (run.selection.cases), else the split's
/// (run.split.cases), else the dataset's.
std::size_t planned_cases(const Part& first, std::size_t dataset_cases) {
  const Json& selection = first.field("selection");
  const Json& split = first.field("split");
  const std::size_t split_cases =
      split.is_object() ? count(member(split, "cases"), dataset_cases) : dataset_cases;
  return selection.is_object() ? count(member(selection, "cases"), split_cases) : split_cases;
}

/// A test-split run's look (run.holdout): shard 0 is the one that counts it (README "Splits
/// and the holdout guard"), else the first part that has one.
Json merged_holdout(const std::vector<Part>& parts) {
  Json holdout;
  for (const Part& part : parts) {
    const Json& look = part.field("holdout");
    if (look.is_object() && (holdout.is_null() || part.shard.index == 0)) {
      holdout = look;
    }
  }
  return holdout;
}

SummaryPlan merged_plan(const Part& first, std::size_t dataset_cases,
                        const std::vector<std::string>& gate_flags) {
  SummaryPlan plan = plan_from_report(first.report->head(), first.name);
  // All the cases the shards split: a missing shard's cases are unscored.
  plan.cases = planned_cases(first, dataset_cases);
  std::vector<std::string> metrics;
  for (const auto& metric : plan.metrics) {
    metrics.push_back(metric.name);
  }
  std::vector<std::string> variants;
  for (const auto& variant : plan.variants) {
    variants.push_back(variant.id);
  }
  for (const std::string& flag : gate_flags) {
    plan.gates.push_back(parse_gate_flag(metrics, variants, flag));
  }
  return plan;
}

RunInfo merged_run(const std::vector<Part>& parts, const SummaryAccumulator& accumulator,
                   const std::vector<std::size_t>& missing) {
  const Json& run = *parts.front().run;
  RunInfo info;
  info.name = text(member(run, "name"));
  info.started_at = text(member(run, "started_at"));
  info.finished_at = text(member(run, "finished_at"));
  info.complete = missing.empty();
  for (const Part& part : parts) {
    info.started_at = std::min(info.started_at, text(part.field("started_at")));
    info.finished_at = std::max(info.finished_at, text(part.field("finished_at")));
    if (part.field("complete") != true && info.complete) {
      info.complete = false;
      const Json& reason = part.field("stop_reason");
      info.stop_reason = reason.is_string() ? reason.get<std::string>() : "unknown";
    }
  }
  if (!missing.empty()) {
    info.stop_reason = "missing_shards";
  }
  info.config_sha256 = text(member(run, "config_sha256"));
  info.dataset_path = text(member(member(run, "dataset"), "path"));
  info.dataset_sha256 = text(member(member(run, "dataset"), "sha256"));
  info.dataset_cases = count(member(member(run, "dataset"), "cases"));
  info.shard_cases = accumulator.plan().cases;
  if (const Json& selection = member(run, "selection"); selection.is_object()) {
    info.selection = selection;
  }
  if (const Json& split = member(run, "split"); split.is_object()) {
    info.split = split;
  }
  info.holdout = merged_holdout(parts);
  info.cases_evaluated = accumulator.cases_evaluated();
  info.repeat = static_cast<int>(accumulator.plan().repeat);
  info.seed = accumulator.plan().seed;
  info.baseline = text(member(run, "baseline"));
  info.alpha = accumulator.plan().alpha;
  info.min_effect = accumulator.plan().min_effect;
  info.replicas = merged_replicas(parts);
  info.merged_count = parts.front().shard.count;
  for (const Part& part : parts) {
    info.merged_shards.push_back(part.shard.index);
  }
  std::sort(info.merged_shards.begin(), info.merged_shards.end());
  return info;
}

}  // namespace

ReportSummary merge_reports(const MergeOptions& options) {
  if (options.parts.empty()) {
    throw UserError("merge: no parts given");
  }
  std::vector<Part> parts;
  for (const auto& path : options.parts) {
    parts.push_back(open_part(path));
  }
  check_agreement(parts);
  const std::vector<std::size_t> missing = check_shards(parts, options.allow_missing);
  const std::size_t dataset_cases = count(member(parts.front().field("dataset"), "cases"));
  SummaryAccumulator accumulator(merged_plan(parts.front(), dataset_cases, options.gates));

  const Tallies tallies = read_tallies(parts);
  const std::set<std::string> first_ids = first_error_cases(tallies);
  std::map<std::string, std::size_t> index_of;
  ReportWriter writer(options.output);
  CaseMerger merger(parts, dataset_cases);
  while (auto next = merger.next()) {
    auto& [record, part] = *next;
    if (first_ids.count(record.id) != 0) {
      index_of.emplace(record.id, record.index);
    }
    accumulator.add(record, parts[part].name);
    writer.add_case(record);
  }

  ReportSummary summary;
  summary.run = merged_run(parts, accumulator, missing);
  summary.run.errors = merged_errors(tallies, index_of);
  SummaryFigures figures = accumulator.figures();
  summary.variants = std::move(figures.variants);
  summary.comparisons = std::move(figures.comparisons);
  summary.gates = std::move(figures.gates);
  summary.slices = std::move(figures.slices);
  writer.finish(summary);
  return summary;
}

}  // namespace promptbench
