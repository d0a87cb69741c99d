// SPDX-License-Identifier: Apache-2.0
// regex: 1 when an RE2 pattern matches anywhere in the output (or, negated, nowhere).
#include <re2/re2.h>

#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

RE2::Options quiet_options() {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the ParamError instead of stderr
  return options;
}

class Regex : public Metric {
 public:
  Regex(const MetricSpec& spec, const std::string& pattern, bool negate)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)),
        m_pattern(pattern, quiet_options()),
        m_negate(negate) {
    if (!m_pattern.ok()) {
      throw ParamError("pattern", "invalid regular expression: " + m_pattern.error());
    }
  }

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const bool matched = RE2::PartialMatch(input.output, m_pattern);
    return matched != m_negate ? 1.0 : 0.0;
  }

 private:
  RE2 m_pattern;
  bool m_negate;
};

}  // namespace

std::unique_ptr<Metric> make_regex(const MetricSpec& spec) {
  spec.params.allow_only({"pattern", "negate"});
  if (!spec.params.has("pattern")) {
    throw ParamError("pattern", "missing required parameter 'pattern'");
  }
  return std::make_unique<Regex>(spec, spec.params.get_string("pattern", ""),
                                 spec.params.get_bool("negate", false));
}

}  // namespace promptbench
