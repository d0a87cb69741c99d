// SPDX-License-Identifier: Apache-2.0
// llm_judge: a rubric, rendered with the case and the output, sent to a judge model; its
// verdict (a 0..max_score score, or pass/fail) is the score. The runner does the sending
// (JudgedMetric); the report keeps the judge's prompt and reply for audit.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/verdict.hpp"
#include "promptbench/error.hpp"
#include "util/utf8.hpp"

namespace promptbench {

namespace {

using nlohmann::json;

class LlmJudge : public JudgedMetric {
 public:
  LlmJudge(const MetricSpec& spec, std::string judge, const PromptConfig& rubric, bool pass_fail,
           double max_score)
      : JudgedMetric(spec.name, true, spec.threshold),
        m_judge(std::move(judge)),
        m_rubric(rubric),
        m_pass_fail(pass_fail),
        m_max_score(max_score) {}

  const std::string& judge_id() const override { return m_judge; }

  RenderedPrompt judge_prompt(const ScoreInput& input) const override {
    Case row;
    row.id = std::string(input.case_id);
    row.vars = input.vars.is_object() ? input.vars : json::object();
    row.vars["output"] = input.output;
    row.vars["raw_output"] = input.raw_output;
    row.vars["reference"] =
        input.reference.is_string() ? input.reference : json(input.reference.dump());
    row.reference = input.reference;
    return m_rubric.render(row);
  }

  tl::expected<Score, std::string> verdict(const std::string& reply) const override {
    Score score;
    if (m_pass_fail) {
      const auto passed = parse_pass_fail_verdict(reply);
      if (!passed) {
        return tl::unexpected(passed.error());
      }
      score.value = *passed ? 1 : 0;
      score.pass = *passed;
      return score;
    }
    const auto value = parse_score_verdict(reply, m_max_score);
    if (!value) {
      return tl::unexpected(value.error());
    }
    score.value = *value;
    score.pass = pass(*value);
    return score;
  }

 private:
  std::string m_judge;
  PromptTemplate m_rubric;
  bool m_pass_fail;
  double m_max_score;
};

std::string read_rubric_file(const std::filesystem::path& path, const std::string& shown) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ParamError("rubric_file", fmt::format("cannot read the rubric file '{}'", shown));
  }
  std::ostringstream text;
  text << in.rdbuf();
  // Found here, at load time, rather than when the judge's request body is serialized.
  if (const auto bad = util::find_invalid_utf8(text.str())) {
    const SourceLocation at = location_of_offset(shown, text.str(), *bad);
    throw ParamError("rubric_file",
                     fmt::format("{}: invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                 at.to_string(), static_cast<unsigned char>(text.str()[*bad])));
  }
  return text.str();
}

/// The rubric as a prompt: one user message, after an optional system message.
PromptConfig rubric_prompt(const MetricSpec& spec) {
  const bool inline_rubric = spec.params.has("rubric");
  if (inline_rubric == spec.params.has("rubric_file")) {
    throw ParamError(inline_rubric ? "rubric_file" : "",
                     "needs exactly one of 'rubric' (the text) or 'rubric_file' (a path)");
  }
  PromptConfig prompt;
  prompt.id = spec.name + " rubric";
  std::string text;
  if (inline_rubric) {
    text = spec.params.get_string("rubric", "");
  } else {
    const std::string file = spec.params.get_string("rubric_file", "");
    text = read_rubric_file(spec.base_dir / file, file);
    prompt.text_where = SourceLocation{(spec.base_dir / file).string(), 1, 1};
  }
  if (text.empty()) {
    throw ParamError(inline_rubric ? "rubric" : "rubric_file", "the rubric is empty");
  }
  if (spec.params.has("system")) {
    prompt.messages.push_back({"system", spec.params.get_string("system", ""), prompt.text_where});
    prompt.messages.push_back({"user", text, prompt.text_where});
  } else {
    prompt.text = text;
  }
  return prompt;
}

}  // namespace

std::unique_ptr<Metric> make_llm_judge(const MetricSpec& spec) {
  spec.params.allow_only({"judge", "rubric", "rubric_file", "system", "format", "max_score"});
  if (!spec.params.has("judge")) {
    throw ParamError("judge", "missing required parameter 'judge' (a judges[] or providers[] id)");
  }
  const std::string judge = spec.params.get_string("judge", "");
  const std::string format = spec.params.get_string("format", "score");
  if (format != "score" && format != "pass_fail") {
    throw ParamError("format", fmt::format("expected score or pass_fail, got '{}'", format));
  }
  const double max_score = spec.params.get_number("max_score", 10);
  if (!(max_score > 0)) {
    throw ParamError("max_score", "must be greater than 0");
  }
  if (format == "pass_fail" && spec.params.has("max_score")) {
    throw ParamError("max_score", "only applies to format: score");
  }
  MetricSpec adjusted = spec;
  if (format == "pass_fail" && !adjusted.threshold) {
    adjusted.threshold = 1.0;
  }
  return std::make_unique<LlmJudge>(adjusted, judge, rubric_prompt(spec), format == "pass_fail",
                                    max_score);
}

}  // namespace promptbench
