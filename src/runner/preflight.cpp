// SPDX-License-Identifier: Apache-2.0
// The pre-flight pass: before any request is sent, every prompt is rendered for every case
// and every judge rubric too, case ids are checked for duplicates, and the dataset is
// checksummed -- so a bad row stops the run at once, never in the middle.
#include <algorithm>
#include <set>
#include <unordered_set>

#include <xxhash.h>

#include <fmt/format.h>

#include "promptbench/dataset.hpp"
#include "promptbench/extract.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/selection.hpp"
#include "provider/providers/recorded.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

/// Finds a repeated case id with 8 bytes of memory per case: ids are hashed while the
/// pre-flight pass streams the dataset; only if two hashes collide is the dataset read
/// again, keeping just the colliding ids, to name the duplicate (or dismiss a collision).
class DuplicateIdCheck {
 public:
  void add(const std::string& id) { m_hashes.push_back(XXH3_64bits(id.data(), id.size())); }

  void check(const DatasetConfig& dataset, std::size_t cases) {
    std::sort(m_hashes.begin(), m_hashes.end());
    std::unordered_set<std::uint64_t> repeated;
    for (std::size_t i = 1; i < m_hashes.size(); ++i) {
      if (m_hashes[i] == m_hashes[i - 1]) {
        repeated.insert(m_hashes[i]);
      }
    }
    if (repeated.empty()) {
      return;
    }
    std::unordered_set<std::string> seen;
    CaseReader rows(dataset);
    for (std::size_t i = 0; i < cases; ++i) {
      const std::optional<Case> row = rows.next();
      if (!row) {
        return;
      }
      if (repeated.count(XXH3_64bits(row->id.data(), row->id.size())) != 0 &&
          !seen.insert(row->id).second) {
        throw UserError(row->where, "", fmt::format("duplicate case id '{}'", row->id));
      }
    }
  }

 private:
  std::vector<std::uint64_t> m_hashes;
};

}  // namespace

namespace {

/// With --sample, a first pass over the ids fixes the sample, so that the pass below renders
/// only the cases that will run.
void draw_sample(const DatasetConfig& dataset, std::optional<std::size_t> limit,
                 CaseSelector& selector) {
  if (!selector.samples()) {
    return;
  }
  CaseReader rows(dataset);
  for (std::size_t i = 0; !limit || i < *limit; ++i) {
    const std::optional<Case> row = rows.next();
    if (!row) {
      break;
    }
    if (SplitFilter* split = selector.split()) {
      (void)split->admit(*row);  // the sample is drawn from the split's cases
    }
    selector.offer(row->id);
  }
  selector.close_sample();
}

void check_selected(const Preflight& result, const CaseSelector& selector,
                    std::optional<std::size_t> limit) {
  selector.check_ids_found(limit);
  if (const SplitFilter* split = selector.split(); split != nullptr && result.split_cases == 0) {
    throw UserError(fmt::format("--split {}: the {} split has none of the {} case{}",
                                to_string(split->choice()), to_string(split->choice()),
                                result.cases, result.cases == 1 ? "" : "s"));
  }
  if (result.selected_cases == 0) {
    throw UserError(fmt::format("the selection ({}) selects none of the {} case{}",
                                selector.criteria().describe(), result.cases,
                                result.cases == 1 ? "" : "s"));
  }
}

/// The variants' recorded providers: every line must answer a case of the dataset, and a line
/// naming a prompt must name one of the config's. Ids are struck off as the pass reads the
/// dataset; what is left names no case.
class RecordedCheck {
 public:
  RecordedCheck(const Config& config, const std::vector<Variant>& variants) {
    std::vector<std::string> prompt_ids;
    for (const auto& prompt : config.prompts) {
      prompt_ids.push_back(prompt.id);
    }
    std::vector<bool> seen(config.providers.size(), false);
    for (const Variant& variant : variants) {
      const ProviderConfig& provider = config.providers[variant.provider];
      if (provider.type != providers::kRecordedType || seen[variant.provider]) {
        continue;
      }
      seen[variant.provider] = true;
      m_files.push_back(providers::load_recorded_outputs(provider));
      for (const providers::RecordedOutput& line : m_files.back()->lines()) {
        check_prompt(line, prompt_ids);
        m_unmatched.insert(line.case_id);
      }
    }
    check_judges(config);
  }

  [[nodiscard]] bool pending() const { return !m_unmatched.empty(); }
  void note_case(const std::string& id) {
    if (!m_unmatched.empty()) {
      m_unmatched.erase(id);
    }
  }

  /// With --limit the pass stops early; a line may answer a case after the limit, so the
  /// rest of the ids are read too (as far as the dataset can be read: a malformed row past
  /// the limit is not this run's business).
  void read_remaining(CaseReader& rows) {
    try {
      while (pending()) {
        const std::optional<Case> row = rows.next();
        if (!row) {
          return;
        }
        note_case(row->id);
      }
    } catch (const UserError&) {
      m_unmatched.clear();
    }
  }

  /// Throws UserError at the first line, in file order, whose id names no case.
  void check(const DatasetConfig& dataset) const {
    for (const auto& file : m_files) {
      for (const providers::RecordedOutput& line : file->lines()) {
        if (m_unmatched.count(line.case_id) == 0) {
          continue;
        }
        throw UserError(
            SourceLocation{line.where.file, line.where.line, 0}, "",
            fmt::format("id '{}' names no case of {}{}", line.case_id, dataset.display_path,
                        dataset.id.empty() ? " (its cases are numbered by row from 1: set "
                                             "dataset.id to take ids from a field)"
                                           : ""));
      }
    }
  }

 private:
  static void check_prompt(const providers::RecordedOutput& line,
                           const std::vector<std::string>& prompt_ids) {
    if (line.prompt &&
        std::find(prompt_ids.begin(), prompt_ids.end(), *line.prompt) == prompt_ids.end()) {
      throw UserError(SourceLocation{line.where.file, line.where.line, 0}, "",
                      fmt::format("prompt '{}' names no prompt of the config{}", *line.prompt,
                                  util::did_you_mean(*line.prompt, prompt_ids)));
    }
  }

  /// An llm_judge whose judge is a recorded provider: nothing could answer its requests.
  static void check_judges(const Config& config) {
    for (const MetricConfig& metric : config.metrics) {
      if (metric.name != "llm_judge") {
        continue;
      }
      const std::string judge = metric.params.value("judge", "");
      for (const ProviderConfig& provider : config.providers) {
        if (provider.id == judge && provider.type == providers::kRecordedType) {
          throw UserError(metric.where, metric.field + ".judge",
                          fmt::format("'{}' is a recorded provider: it calls no model, so it "
                                      "cannot judge",
                                      judge));
        }
      }
    }
  }

  std::vector<std::shared_ptr<const providers::RecordedOutputs>> m_files;
  std::unordered_set<std::string> m_unmatched;
};

/// Slices (README "Slices"): every selected row holds each slice field as a string, number
/// or boolean, and every value a gate names is some selected row's.
class SliceCheck {
 public:
  explicit SliceCheck(const Config& config) : m_config(config) {
    m_seen.resize(config.slices.fields.size());
  }

  void note_row(const Case& row) {
    for (std::size_t f = 0; f < m_config.slices.fields.size(); ++f) {
      const std::string& field = m_config.slices.fields[f];
      std::string value = slice_value(row.vars, field, row.where);
      if (m_wanted.count({field, value}) != 0 || m_seen[f].size() < kValuesKept) {
        m_seen[f].insert(std::move(value));
      }
    }
  }

  /// Called before the rows: the values the gates name.
  void want_gate_values() {
    for (const GateConfig& gate : m_config.gates) {
      if (gate.slice && !gate.slice->each) {
        m_wanted.insert({gate.slice->field, gate.slice->value});
      }
    }
  }

  void check() const {
    for (const GateConfig& gate : m_config.gates) {
      if (!gate.slice || gate.slice->each) {
        continue;
      }
      const auto field = std::find(m_config.slices.fields.begin(), m_config.slices.fields.end(),
                                   gate.slice->field);
      const auto& seen = m_seen[static_cast<std::size_t>(field - m_config.slices.fields.begin())];
      if (seen.count(gate.slice->value) == 0) {
        std::vector<std::string> known(seen.begin(), seen.end());
        throw UserError(gate.where, gate.field + ".slice",
                        fmt::format("no selected case has {}={}; it has {}{}", gate.slice->field,
                                    gate.slice->value, fmt::join(known, ", "),
                                    util::did_you_mean(gate.slice->value, known)));
      }
    }
  }

 private:
  static constexpr std::size_t kValuesKept = 1000;  ///< for the message; the wanted always
  const Config& m_config;
  std::vector<std::set<std::string>> m_seen;  ///< [field]
  std::set<std::pair<std::string, std::string>> m_wanted;
};

}  // namespace

Preflight preflight(const Config& config, const std::vector<Variant>& variants,
                    std::optional<std::size_t> limit, const Shard& shard,
                    const SelectionCriteria& selection, std::optional<SplitChoice> split) {
  auto selector = std::make_shared<CaseSelector>(selection);
  if (split) {
    selector->set_split(std::make_shared<SplitFilter>(config.dataset.split, *split));
  }
  draw_sample(config.dataset, limit, *selector);
  std::vector<PromptTemplate> prompts;
  for (const auto& prompt : config.prompts) {
    prompts.emplace_back(prompt);
  }
  for (const auto& prompt : config.prompts) {
    (void)Extractor(prompt.extract ? *prompt.extract : config.extract);
  }
  // Judges' rubrics are templates too: a variable a case lacks is found before any request.
  std::vector<std::unique_ptr<Metric>> judged;
  for (const auto& metric : config.metrics) {
    if (metric.name == "llm_judge") {
      judged.push_back(make_metric(metric));
    }
  }
  // Providers whose request bodies are templates over the case (type http) build every
  // case's request here; the others' requests depend on the rendered prompt alone.
  // Per variant: a prompt's params make its provider's body its own.
  std::vector<std::unique_ptr<Provider>> templated(variants.size());
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const ProviderConfig& provider = config.providers[variants[v].provider];
    if (provider_type(provider.type).reads_case_variables) {
      templated[v] =
          make_provider(provider_for_prompt(provider, config.prompts[variants[v].prompt]));
    }
  }
  RecordedCheck recorded(config, variants);
  SliceCheck slices(config);
  slices.want_gate_values();
  const Completion no_completion;
  const std::string no_output;
  CaseReader rows(config.dataset);
  DuplicateIdCheck ids;
  Preflight result;
  result.shard_counts.resize(shard.whole() ? 0 : shard.count);
  while (!limit || result.cases < *limit) {
    std::optional<Case> row = rows.next();
    if (!row) {
      break;
    }
    ids.add(row->id);
    recorded.note_case(row->id);
    ++result.cases;
    selector->note_present(row->id);
    if (SplitFilter* filter = selector->split()) {
      ++(filter->split_of(*row) == kDevSplit ? result.dev_cases : result.test_cases);
      result.split_cases += filter->admit(*row) ? 1 : 0;
    }
    if (!selector->selects(row->id)) {
      continue;  // not rendered: only the selected cases must be sound
    }
    ++result.selected_cases;
    slices.note_row(*row);
    if (result.first_selected.size() < Preflight::kFirstSelected) {
      result.first_selected.push_back(row->id);
    }
    if (!shard.whole()) {
      ++result.shard_counts[shard_of(row->id, shard.count)];
    }
    if (shard.holds(row->id)) {
      ++result.shard_cases;
    }
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const RenderedPrompt rendered = prompts[variants[v].prompt].render(*row);
      if (const auto& provider = templated[v]) {
        (void)provider->build_request(rendered, row->vars);
      }
    }
    for (const auto& metric : judged) {
      const ScoreInput input{no_output,     no_output, row->reference, row->vars,
                             no_completion, nullptr,   row->id};
      (void)static_cast<const JudgedMetric&>(*metric).judge_prompt(input);
    }
  }
  if (result.cases == 0) {
    throw UserError(SourceLocation{config.dataset.display_path}, "", "the dataset has no rows");
  }
  recorded.read_remaining(rows);
  recorded.check(config.dataset);
  slices.check();
  check_selected(result, *selector, limit);
  result.selector = std::move(selector);
  ids.check(config.dataset, result.cases);
  result.dataset_sha256 = util::sha256_file(config.dataset.path);
  return result;
}

nlohmann::ordered_json split_json(const Config& config, SplitChoice choice,
                                  const Preflight& checked) {
  return {{"name", to_string(choice)},
          {"cases", checked.split_cases},
          {"of", checked.cases},
          {"dev_cases", checked.dev_cases},
          {"test_cases", checked.test_cases},
          {"config", to_json(config.dataset.split)}};
}

}  // namespace promptbench
