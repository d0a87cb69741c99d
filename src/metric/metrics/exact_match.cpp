// SPDX-License-Identifier: Apache-2.0
// exact_match: 1 when the output equals one of the references after normalization.
#include "metric/metrics/metrics.hpp"
#include "metric/normalize.hpp"

namespace promptbench {

namespace {

class ExactMatch : public Metric {
 public:
  ExactMatch(const MetricSpec& spec, Normalization how)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)), m_how(how) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::string output = normalize(input.output, m_how);
    for (const std::string& reference : reference_strings(input.reference)) {
      if (normalize(reference, m_how) == output) {
        return 1.0;
      }
    }
    return 0.0;
  }

 private:
  Normalization m_how;
};

}  // namespace

std::unique_ptr<Metric> make_exact_match(const MetricSpec& spec) {
  spec.params.allow_only({"normalize"});
  Normalization fallback;
  fallback.trim = true;
  return std::make_unique<ExactMatch>(spec, normalization_param(spec.params, fallback));
}

}  // namespace promptbench
