// SPDX-License-Identifier: Apache-2.0
// starts_with: 1 when the output begins with one of the references after normalization.
#include "metric/metrics/metrics.hpp"
#include "metric/normalize.hpp"

namespace promptbench {

namespace {

class StartsWith : public Metric {
 public:
  StartsWith(const MetricSpec& spec, Normalization how)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)), m_how(how) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::string output = normalize(input.output, m_how);
    for (const std::string& raw_reference : reference_strings(input.reference)) {
      const std::string reference = normalize(raw_reference, m_how);
      // An empty reference starts every output; counting it would pass every case.
      if (!reference.empty() && output.starts_with(reference)) {
        return 1.0;
      }
    }
    return 0.0;
  }

 private:
  Normalization m_how;
};

}  // namespace

std::unique_ptr<Metric> make_starts_with(const MetricSpec& spec) {
  spec.params.allow_only({"normalize"});
  Normalization fallback;
  fallback.trim = true;
  fallback.lower = true;
  return std::make_unique<StartsWith>(spec, normalization_param(spec.params, fallback));
}

}  // namespace promptbench
