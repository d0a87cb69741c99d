// SPDX-License-Identifier: Apache-2.0
// json_match: 1 when the expected JSON (the reference) is a subset of the output's JSON.
#include <fmt/format.h>

#include "metric/json_output.hpp"
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

bool numbers_equal(const nlohmann::json& a, const nlohmann::json& b) {
  // Integers compare exactly (a double would round above 2^53); otherwise as doubles.
  if (a.is_number_integer() && b.is_number_integer()) {
    if (a.is_number_unsigned() || b.is_number_unsigned()) {
      const bool a_negative = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
      const bool b_negative = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
      return !a_negative && !b_negative && a.get<std::uint64_t>() == b.get<std::uint64_t>();
    }
    return a.get<std::int64_t>() == b.get<std::int64_t>();
  }
  return a.get<double>() == b.get<double>();
}

/// `expected` is contained in `actual`: objects by key (extra keys in actual allowed),
/// arrays of equal length element by element, numbers by value (1 == 1.0), anything else
/// equal (true is not 1).
bool is_subset(const nlohmann::json& expected, const nlohmann::json& actual) {
  if (expected.is_number() && actual.is_number()) {
    return numbers_equal(expected, actual);
  }
  if (expected.type() != actual.type()) {
    return false;
  }
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      const auto it = actual.find(key);
      if (it == actual.end() || !is_subset(value, *it)) {
        return false;
      }
    }
    return true;
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size()) {
      return false;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!is_subset(expected[i], actual[i])) {
        return false;
      }
    }
    return true;
  }
  return expected == actual;
}

class JsonMatch : public Metric {
 public:
  JsonMatch(const MetricSpec& spec, bool allow_fence)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)), m_allow_fence(allow_fence) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    nlohmann::json expected = input.reference;
    if (expected.is_null()) {
      return tl::unexpected(std::string("the case has no reference"));
    }
    if (expected.is_string()) {
      expected = nlohmann::json::parse(input.reference.get<std::string>(), nullptr, false);
      if (expected.is_discarded()) {
        return tl::unexpected(std::string("the reference is a string that is not JSON"));
      }
    }
    const std::optional<nlohmann::json> actual = parse_json_output(input.output, m_allow_fence);
    return actual && is_subset(expected, *actual) ? 1.0 : 0.0;
  }

 private:
  bool m_allow_fence;
};

}  // namespace

std::unique_ptr<Metric> make_json_match(const MetricSpec& spec) {
  spec.params.allow_only({"allow_fence"});
  return std::make_unique<JsonMatch>(spec, spec.params.get_bool("allow_fence", true));
}

}  // namespace promptbench
