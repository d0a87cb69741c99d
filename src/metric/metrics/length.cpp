// SPDX-License-Identifier: Apache-2.0
// length: the output's length in code points or words; lower is better (a threshold is a
// maximum), as with latency and cost. `min` and `max` make the pass flag a range instead.
#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/text.hpp"

namespace promptbench {

namespace {

class Length : public Metric {
 public:
  Length(const MetricSpec& spec, bool words, std::optional<double> min, std::optional<double> max)
      : Metric(spec.name, false, spec.threshold), m_words(words), m_min(min), m_max(max) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::u32string text = decode_utf8(input.output);
    return static_cast<double>(m_words ? split_python(text).size() : text.size());
  }

  std::optional<bool> pass(double value) const override {
    if (!m_min && !m_max) {
      return Metric::pass(value);
    }
    return (!m_min || value >= *m_min) && (!m_max || value <= *m_max);
  }

 private:
  bool m_words;
  std::optional<double> m_min;
  std::optional<double> m_max;
};

}  // namespace

std::unique_ptr<Metric> make_length(const MetricSpec& spec) {
  spec.params.allow_only({"unit", "min", "max"});
  const std::string unit = spec.params.get_string("unit", "chars");
  if (unit != "chars" && unit != "words") {
    throw ParamError("unit", fmt::format("expected chars or words, got '{}'", unit));
  }
  const std::optional<double> min = spec.params.get_optional_number("min");
  const std::optional<double> max = spec.params.get_optional_number("max");
  if ((min || max) && spec.threshold) {
    throw ParamError("threshold", "use either threshold or min/max, not both");
  }
  if (min && max && *min > *max) {
    throw ParamError("max", fmt::format("max ({}) is below min ({})", *max, *min));
  }
  return std::make_unique<Length>(spec, unit == "words", min, max);
}

}  // namespace promptbench
