// SPDX-License-Identifier: Apache-2.0
// cost: what the response cost in US dollars, from the usage the endpoint reported and the
// provider's `pricing`; lower is better (a threshold is a budget per case).
#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class Cost : public Metric {
 public:
  explicit Cost(const MetricSpec& spec) : Metric(spec.name, false, spec.threshold) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    if (input.provider == nullptr || !input.provider->pricing) {
      return tl::unexpected(fmt::format("provider '{}' has no pricing", input.provider == nullptr
                                                                            ? std::string("?")
                                                                            : input.provider->id));
    }
    const std::optional<double> cost = cost_usd(input.completion.usage, *input.provider->pricing);
    if (!cost) {
      return tl::unexpected(std::string("the response reported no usage"));
    }
    return *cost;
  }
};

}  // namespace

std::unique_ptr<Metric> make_cost(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Cost>(spec);
}

}  // namespace promptbench
