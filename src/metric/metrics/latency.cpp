// SPDX-License-Identifier: Apache-2.0
// latency: the request's wall-clock time in milliseconds; lower is better.
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class Latency : public Metric {
 public:
  explicit Latency(const MetricSpec& spec) : Metric(spec.name, false, spec.threshold) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    return input.completion.latency_ms;
  }
};

}  // namespace

std::unique_ptr<Metric> make_latency(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Latency>(spec);
}

}  // namespace promptbench
