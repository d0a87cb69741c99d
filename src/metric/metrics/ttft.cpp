// SPDX-License-Identifier: Apache-2.0
// ttft: time to the first content token of a streamed answer, in milliseconds; lower is
// better. An answer that was not streamed has no first token to time: a score error.
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class TimeToFirstToken : public Metric {
 public:
  explicit TimeToFirstToken(const MetricSpec& spec) : Metric(spec.name, false, spec.threshold) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    if (!input.completion.ttft_ms) {
      return tl::unexpected(std::string(
          "the answer was not streamed, so it has no time to first token (set `stream: true` "
          "on the provider)"));
    }
    return *input.completion.ttft_ms;
  }
};

}  // namespace

std::unique_ptr<Metric> make_ttft(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<TimeToFirstToken>(spec);
}

}  // namespace promptbench
