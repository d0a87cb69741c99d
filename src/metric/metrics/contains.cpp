// SPDX-License-Identifier: Apache-2.0
// contains: 1 when one of the references occurs in the output after normalization.
#include "metric/metrics/metrics.hpp"
#include "metric/normalize.hpp"

namespace promptbench {

namespace {

class Contains : public Metric {
 public:
  Contains(const MetricSpec& spec, Normalization how)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)), m_how(how) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::string output = normalize(input.output, m_how);
    for (const std::string& raw_reference : reference_strings(input.reference)) {
      const std::string reference = normalize(raw_reference, m_how);
      // An empty reference occurs in every output; counting it would pass every case.
      if (!reference.empty() && output.find(reference) != std::string::npos) {
        return 1.0;
      }
    }
    return 0.0;
  }

 private:
  Normalization m_how;
};

}  // namespace

std::unique_ptr<Metric> make_contains(const MetricSpec& spec) {
  spec.params.allow_only({"normalize"});
  Normalization fallback;
  fallback.lower = true;
  return std::make_unique<Contains>(spec, normalization_param(spec.params, fallback));
}

}  // namespace promptbench
