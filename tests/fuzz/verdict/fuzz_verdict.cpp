// SPDX-License-Identifier: Apache-2.0
// Fuzzes the judge-verdict parsers llm_judge reads a judge's reply with: the input's first
// byte picks the scale (max_score 10, 5, 1, 100 or 3.5) and the rest is the reply, read as a
// score and as pass/fail, directly and through llm_judge metrics built by the registry (so
// the threshold and the metric's own checks apply). A reply the parsers cannot read is an
// error value, never an exception, so any exception, a crash or a broken invariant is a
// finding. Invariants:
//  - a score is finite and lies in 0..max_score; the metric gives the parser's value, and
//    pass exactly when the value reaches the threshold;
//  - a pass/fail verdict scores 1 or 0, and passes exactly when it scores 1;
//  - the last labelled verdict wins: after any reply holding no JSON verdict, a last line
//    "Score: 3" reads 3 and "Verdict: PASS" / "Verdict: FAIL" read pass / fail;
//  - an error quotes at most the reply's first 160 bytes;
//  - parsing is deterministic.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "metric/json_output.hpp"
#include "metric/verdict.hpp"
#include "promptbench/metric.hpp"

namespace {

using nlohmann::json;
using promptbench::fuzz::invariant_failed;

constexpr std::array<double, 5> kScales = {10, 5, 1, 100, 3.5};
/// The longest error message: its fixed text, the number and scale, and 160 quoted bytes.
constexpr std::size_t kLongestError = 200 + 160 + 3;

std::unique_ptr<promptbench::JudgedMetric> make_judge(const json& params) {
  promptbench::MetricConfig config;
  config.name = "llm_judge";
  config.params = params;
  config.field = "metrics[0]";
  std::unique_ptr<promptbench::Metric> metric = promptbench::make_metric(config);
  return std::unique_ptr<promptbench::JudgedMetric>(
      dynamic_cast<promptbench::JudgedMetric*>(metric.release()));
}

struct Judges {
  std::array<std::unique_ptr<promptbench::JudgedMetric>, kScales.size()> scored;
  std::unique_ptr<promptbench::JudgedMetric> pass_fail;
};

const Judges& judges() {
  static const Judges made = [] {
    Judges out;
    for (std::size_t i = 0; i < kScales.size(); ++i) {
      out.scored[i] = make_judge({{"judge", "j"},
                                  {"rubric", "{{output}}"},
                                  {"max_score", kScales[i]},
                                  {"threshold", kScales[i] / 2}});
    }
    out.pass_fail = make_judge({{"judge", "j"}, {"rubric", "{{output}}"}, {"format", "pass_fail"}});
    return out;
  }();
  return made;
}

/// Whether the reply holds a JSON object (the whole text or a fenced block), which the
/// parsers read before any label.
bool holds_json_object(std::string_view reply) {
  const auto parsed = promptbench::parse_json_output(reply, true);
  return parsed && parsed->is_object();
}

void check_error(const std::string& error, std::string_view input) {
  if (error.empty() || error.size() > kLongestError) {
    invariant_failed("a verdict error is empty or quotes too much: " + error, input);
  }
}

void check_score(std::string_view reply, std::size_t scale_index, std::string_view input) {
  const double max_score = kScales[scale_index];
  const auto value = promptbench::parse_score_verdict(reply, max_score);
  const auto again = promptbench::parse_score_verdict(reply, max_score);
  if (value.has_value() != again.has_value() || (value && *value != *again)) {
    invariant_failed("parsing the same score twice gave different results", input);
  }
  const auto score = judges().scored[scale_index]->verdict(std::string(reply));
  if (!value) {
    check_error(value.error(), input);
    if (score) {
      invariant_failed("llm_judge scored a reply its parser refused", input);
    }
    return;
  }
  if (!std::isfinite(*value) || *value < 0 || *value > max_score) {
    invariant_failed(
        "a score outside 0.." + std::to_string(max_score) + ": " + std::to_string(*value), input);
  }
  if (!score || score->value != *value) {
    invariant_failed("llm_judge's score differs from its parser's", input);
  }
  if (score->pass != (*value >= max_score / 2)) {
    invariant_failed("llm_judge's pass does not follow its threshold", input);
  }
}

void check_pass_fail(std::string_view reply, std::string_view input) {
  const auto verdict = promptbench::parse_pass_fail_verdict(reply);
  const auto again = promptbench::parse_pass_fail_verdict(reply);
  if (verdict.has_value() != again.has_value() || (verdict && *verdict != *again)) {
    invariant_failed("parsing the same verdict twice gave different results", input);
  }
  const auto score = judges().pass_fail->verdict(std::string(reply));
  if (!verdict) {
    check_error(verdict.error(), input);
    if (score) {
      invariant_failed("llm_judge graded a reply its parser refused", input);
    }
    return;
  }
  if (!score || score->value != (*verdict ? 1 : 0) || score->pass != *verdict) {
    invariant_failed("llm_judge's pass/fail score does not match the verdict", input);
  }
}

void check_last_label_wins(std::string_view reply, std::size_t scale_index,
                           std::string_view input) {
  const std::string scored = std::string(reply) + "\nScore: 3";
  if (!holds_json_object(scored) && kScales[scale_index] >= 3) {
    const auto value = promptbench::parse_score_verdict(scored, kScales[scale_index]);
    if (!value || *value != 3) {
      invariant_failed("a last line 'Score: 3' did not read as 3", input);
    }
  }
  for (const bool pass : {true, false}) {
    const std::string graded = std::string(reply) + (pass ? "\nVerdict: PASS" : "\nVerdict: FAIL");
    if (!holds_json_object(graded)) {
      const auto verdict = promptbench::parse_pass_fail_verdict(graded);
      if (!verdict || *verdict != pass) {
        invariant_failed(
            std::string("a last line 'Verdict: ") + (pass ? "PASS" : "FAIL") + "' did not decide",
            input);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const std::string_view reply = input.substr(1);
  const std::size_t scale_index = data[0] % kScales.size();
  try {
    check_score(reply, scale_index, input);
    check_pass_fail(reply, input);
    check_last_label_wins(reply, scale_index, input);
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading a verdict threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}
