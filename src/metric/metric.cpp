// SPDX-License-Identifier: Apache-2.0
// What every metric shares: the pass flag from the threshold and the reference as strings.
#include "promptbench/metric.hpp"

namespace promptbench {

tl::expected<Score, std::string> Metric::score(const ScoreInput& input) const {
  tl::expected<double, std::string> value = compute(input);
  if (!value) {
    return tl::unexpected(value.error());
  }
  Score score;
  score.value = *value;
  score.pass = pass(*value);
  return score;
}

std::optional<bool> Metric::pass(double value) const {
  if (!m_threshold) {
    return std::nullopt;
  }
  return m_higher_is_better ? value >= *m_threshold : value <= *m_threshold;
}

tl::expected<double, std::string> JudgedMetric::compute(const ScoreInput& /*input*/) const {
  return tl::unexpected(std::string("this metric is scored by its judge, through the runner"));
}

std::vector<std::string> reference_strings(const nlohmann::json& reference) {
  if (reference.is_null()) {
    return {};
  }
  if (reference.is_string()) {
    return {reference.get<std::string>()};
  }
  if (!reference.is_array()) {
    return {reference.dump()};
  }
  std::vector<std::string> strings;
  for (const nlohmann::json& item : reference) {
    // A null item is a missing answer, not the text "null".
    if (item.is_string()) {
      strings.push_back(item.get<std::string>());
    } else if (!item.is_null()) {
      strings.push_back(item.dump());
    }
  }
  return strings;
}

}  // namespace promptbench
