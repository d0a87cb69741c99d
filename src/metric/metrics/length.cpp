// SPDX-License-Identifier: Apache-2.0
// length: the output's length in code points or words; lower is better (a threshold is a
// maximum), as with latency and cost.
#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/text.hpp"

namespace promptbench {

namespace {

class Length : public Metric {
 public:
  Length(const MetricSpec& spec, bool words)
      : Metric(spec.name, false, spec.threshold), m_words(words) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::u32string text = decode_utf8(input.output);
    return static_cast<double>(m_words ? split_python(text).size() : text.size());
  }

 private:
  bool m_words;
};

}  // namespace

std::unique_ptr<Metric> make_length(const MetricSpec& spec) {
  spec.params.allow_only({"unit"});
  const std::string unit = spec.params.get_string("unit", "chars");
  if (unit != "chars" && unit != "words") {
    throw ParamError("unit", fmt::format("expected chars or words, got '{}'", unit));
  }
  return std::make_unique<Length>(spec, unit == "words");
}

}  // namespace promptbench
