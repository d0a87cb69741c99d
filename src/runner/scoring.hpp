// SPDX-License-Identifier: Apache-2.0
// Scoring: an answered request becomes a result's output, usage, extraction and scores;
// metrics a judge scores become judge requests, and the judge's reply becomes the score.
// Failures of scorers and judges are tallied in the run's errors.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <tl/expected.hpp>

#include "promptbench/case_result.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/report.hpp"
#include "runner/plan.hpp"

namespace promptbench {

/// The answer's reported output tokens per second: over the generation after the first
/// token when the answer was streamed, else over the whole request; nullopt without usage.
[[nodiscard]] std::optional<double> output_tokens_per_second(const Completion& completion);

/// What `metric` scores against in `row`: the field its `reference:` names, else the
/// dataset's reference; nullptr when the row lacks that field or holds null in it.
[[nodiscard]] const nlohmann::json* reference_of(const Metric& metric, const Case& row);

/// A metric of one result that a judge must score, with the judge's prompt.
struct JudgeRequest {
  std::size_t metric = 0;
  RenderedPrompt prompt;
};

/// Where a result belongs, for the error tally and the request log.
struct ResultPlace {
  std::size_t index = 0;  ///< the case's position in the dataset
  const Case& row;
  const Variant& variant;
};

class Scorer {
 public:
  Scorer(const Config& config, const Pipeline& pipeline, RunErrors& errors)
      : m_config(config), m_pipeline(pipeline), m_errors(errors) {}

  /// Fills `out` from the completion and scores it with every metric that scores locally;
  /// returns the judge requests still to be sent for it (their audit already in `out`).
  [[nodiscard]] std::vector<JudgeRequest> score(const Completion& completion,
                                                const ResultPlace& place, CaseResult& out) const;

  /// A judge's reply to `metric` (or the failure to get one) on the result `out`.
  void apply_verdict(std::size_t metric, const tl::expected<Completion, RequestError>& reply,
                     bool cached, const ResultPlace& place, CaseResult& out) const;

 private:
  void score_locally(const Metric& metric, const ScoreInput& input, const ResultPlace& place,
                     CaseResult& out) const;

  const Config& m_config;
  const Pipeline& m_pipeline;
  RunErrors& m_errors;
};

/// The report's and the error tally's view of a failed request.
[[nodiscard]] FirstError first_error(const ResultPlace& place, const RequestError& error,
                                     std::string source = {});

}  // namespace promptbench
