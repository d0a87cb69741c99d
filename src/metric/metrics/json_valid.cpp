// SPDX-License-Identifier: Apache-2.0
// json_valid: 1 when the output is JSON (or, by default, holds a ``` fenced JSON block).
#include "metric/json_output.hpp"
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class JsonValid : public Metric {
 public:
  JsonValid(const MetricSpec& spec, bool allow_fence)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)), m_allow_fence(allow_fence) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    return parse_json_output(input.output, m_allow_fence) ? 1.0 : 0.0;
  }

 private:
  bool m_allow_fence;
};

}  // namespace

std::unique_ptr<Metric> make_json_valid(const MetricSpec& spec) {
  spec.params.allow_only({"allow_fence"});
  return std::make_unique<JsonValid>(spec, spec.params.get_bool("allow_fence", true));
}

}  // namespace promptbench
