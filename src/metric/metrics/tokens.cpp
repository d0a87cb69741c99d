// SPDX-License-Identifier: Apache-2.0
// tokens: the completion tokens the endpoint reported; lower is better.
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class Tokens : public Metric {
 public:
  explicit Tokens(const MetricSpec& spec) : Metric(spec.name, false, spec.threshold) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    if (!input.completion.usage.completion_tokens) {
      return tl::unexpected(std::string("the response reported no usage"));
    }
    return static_cast<double>(*input.completion.usage.completion_tokens);
  }
};

}  // namespace

std::unique_ptr<Metric> make_tokens(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Tokens>(spec);
}

}  // namespace promptbench
