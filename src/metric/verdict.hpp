// SPDX-License-Identifier: Apache-2.0
// Reading a judge model's verdict out of free text (llm_judge). Judges are asked for a
// format but do not always keep to it, so the parsers accept the common shapes, take the
// last labelled verdict (judges reason first, conclude last) and refuse to guess: a reply
// they cannot read is an error on the case, never a zero.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace promptbench {

/// A score on 0..max_score, tried in this order:
///  1. a JSON object (bare or in a ``` fence) with a numeric "score" (or "rating");
///  2. the last labelled score: "Score: 7", "**Rating:** 8/10", "score of 4 out of 5";
///  3. the last fraction: "7/10", "4 out of 5";
///  4. a reply that is only a number ("8", "8.").
/// A fraction over another scale is rescaled ("4/5" with max_score 10 is 8). An error when
/// nothing is found or the score is outside 0..max_score.
[[nodiscard]] tl::expected<double, std::string> parse_score_verdict(std::string_view reply,
                                                                    double max_score);

/// Pass (true) or fail (false), tried in this order:
///  1. a JSON object with a boolean "pass", or "verdict"/"result" of pass/fail;
///  2. the last labelled verdict: "Verdict: PASS", "Result: fail", "Answer: yes";
///  3. the words pass/passed and fail/failed when only one of them occurs;
///  4. a reply that is only yes/no/correct/incorrect/pass/fail.
/// An error when nothing is found or both words occur without a label.
[[nodiscard]] tl::expected<bool, std::string> parse_pass_fail_verdict(std::string_view reply);

}  // namespace promptbench
