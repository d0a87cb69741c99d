// SPDX-License-Identifier: Apache-2.0
// Metrics score one output against its case. One file per metric under
// src/metric/metrics/, one line each in the registry (src/metric/registry.cpp).
#pragma once

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "promptbench/config.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"

namespace promptbench {

/// Everything a metric may look at for one (case, variant).
struct ScoreInput {
  const std::string& output;                 ///< after extraction
  const std::string& raw_output;             ///< the model's text as received
  const nlohmann::json& reference;           ///< string, list of strings, or any JSON: the
                                             ///< dataset's reference, or the metric's field
  const nlohmann::json& vars;                ///< the case's row
  const Completion& completion;              ///< latency, usage
  const ProviderConfig* provider = nullptr;  ///< the variant's provider (pricing), if known
  std::string_view case_id = {};
};

struct Score {
  double value = 0;
  std::optional<bool> pass;  ///< set when a threshold applies
  nlohmann::json detail;     ///< kept in the report for audit (a scorer's reason); null = none
  /// The output's share of the metric's corpus figure (Metric::corpus_kind): additive
  /// statistics that, summed over a variant's scored outputs, give corpus_figure(). Empty
  /// for metrics without one.
  std::vector<double> corpus;
};

/// A bad metric parameter; the config loader turns it into a located UserError.
class ParamError : public std::runtime_error {
 public:
  ParamError(std::string key, const std::string& message)
      : std::runtime_error(message), m_key(std::move(key)) {}
  /// The offending parameter's name; empty for the metric as a whole.
  [[nodiscard]] const std::string& key() const { return m_key; }

 private:
  std::string m_key;
};

/// Typed access to a metric's parameters. Getters throw ParamError on a wrong type.
class MetricParams {
 public:
  explicit MetricParams(const nlohmann::json& params) : m_params(params) {}

  /// Throws ParamError (with a "did you mean") for a key outside `known` and the keys every
  /// metric accepts (name, threshold, higher_is_better, reference).
  void allow_only(std::initializer_list<const char*> known) const;

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] std::string get_string(const std::string& key, const std::string& fallback) const;
  [[nodiscard]] double get_number(const std::string& key, double fallback) const;
  [[nodiscard]] std::optional<double> get_optional_number(const std::string& key) const;
  [[nodiscard]] bool get_bool(const std::string& key, bool fallback) const;
  /// A string or a list of strings.
  [[nodiscard]] std::vector<std::string> get_string_list(const std::string& key) const;
  [[nodiscard]] const nlohmann::json& raw() const { return m_params; }

 private:
  const nlohmann::json& m_params;
};

class Metric {
 public:
  /// `name` is the key in reports (the registry name unless the config gave `name:`).
  Metric(std::string name, bool higher_is_better, std::optional<double> threshold)
      : m_name(std::move(name)), m_higher_is_better(higher_is_better), m_threshold(threshold) {}
  virtual ~Metric() = default;

  [[nodiscard]] const std::string& name() const { return m_name; }
  [[nodiscard]] bool higher_is_better() const { return m_higher_is_better; }
  [[nodiscard]] std::optional<double> threshold() const { return m_threshold; }
  /// The corpus-level figure the metric reports beside its mean, for metrics that have one
  /// ("bleu": corpus BLEU); empty otherwise. Its scores carry their share in Score::corpus.
  [[nodiscard]] virtual std::string_view corpus_kind() const { return {}; }
  /// True for a metric scored by an external process (command): its failure to score is a
  /// failure of the run (counted against `max_errors`), not a property of the output.
  [[nodiscard]] virtual bool external() const { return false; }
  /// The config's `higher_is_better`, which wins over the metric's own direction.
  void set_higher_is_better(bool higher_is_better) { m_higher_is_better = higher_is_better; }
  /// The dataset field the metric's reference comes from (the config's `reference:`); empty
  /// for the dataset's own reference field. The runner passes that field's value as
  /// ScoreInput::reference; every case must hold it (the dataset reader checks).
  [[nodiscard]] const std::string& reference_field() const { return m_reference_field; }
  void set_reference_field(std::string field) { m_reference_field = std::move(field); }

  /// The score, with `pass` set from the threshold; an error string when the output cannot
  /// be scored (recorded on the case, not counted as 0).
  [[nodiscard]] virtual tl::expected<Score, std::string> score(const ScoreInput& input) const;

 protected:
  [[nodiscard]] virtual tl::expected<double, std::string> compute(
      const ScoreInput& input) const = 0;
  /// Pass or fail for a score: by default `value` against the threshold in the metric's
  /// direction, nothing without a threshold. Metrics with a range (length) override it.
  [[nodiscard]] virtual std::optional<bool> pass(double value) const;

 private:
  std::string m_name;
  bool m_higher_is_better;
  std::optional<double> m_threshold;
  std::string m_reference_field;
};

/// A metric that another model scores (llm_judge). The runner sends judge_prompt() to the
/// provider judge_id() names, through the same engine, cache and limits as every request,
/// and hands the reply's text to verdict().
class JudgedMetric : public Metric {
 public:
  using Metric::Metric;

  /// The id of the judge: an entry of `judges:` or of `providers:`.
  [[nodiscard]] virtual const std::string& judge_id() const = 0;
  /// The judge's prompt for one output. Throws UserError, located in the rubric, naming
  /// the variable and the case, when the case lacks a variable the rubric uses.
  [[nodiscard]] virtual RenderedPrompt judge_prompt(const ScoreInput& input) const = 0;
  /// The score from the judge's reply; an error when the reply holds no readable verdict.
  [[nodiscard]] virtual tl::expected<Score, std::string> verdict(
      const std::string& reply) const = 0;

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override;
};

/// What every metric factory receives: its parameters and the common settings.
struct MetricSpec {
  std::string name;  ///< report key
  std::optional<double> threshold;
  const MetricParams& params;
  std::filesystem::path base_dir;  ///< the config file's folder, for relative paths
};

struct MetricInfo {
  const char* name;
  const char* description;
  const char* parameters;  ///< one line, for `promptbench metrics` and docs
  std::unique_ptr<Metric> (*make)(const MetricSpec& spec);
};

[[nodiscard]] const std::vector<MetricInfo>& metric_registry();

/// Creates the metric `config.name` names. Throws ParamError for bad parameters and
/// UserError for an unknown metric name (with a "did you mean").
[[nodiscard]] std::unique_ptr<Metric> make_metric(const MetricConfig& config);

/// The metric's own reference field, `reference:` in `config`'s parameters; empty when it
/// takes the dataset's reference. Throws ParamError unless the value is a non-empty string.
[[nodiscard]] std::string metric_reference_field(const MetricConfig& config);

/// The reference as a list of acceptable answers: a string -> {it}; a list -> its items
/// as strings; a number or bool -> its JSON text; null -> {}.
[[nodiscard]] std::vector<std::string> reference_strings(const nlohmann::json& reference);

/// The corpus figure of `kind` from summed Score::corpus statistics; nullopt for an unknown kind
/// or statistics of the wrong size (a report from elsewhere).
[[nodiscard]] std::optional<double> corpus_figure(std::string_view kind,
                                                  std::span<const double> sums);

}  // namespace promptbench
