// SPDX-License-Identifier: Apache-2.0
// What eval says on stderr about a run's failures: counts, kinds, and the first error.
#include <gtest/gtest.h>

#include "promptbench/report.hpp"

namespace promptbench {
namespace {

FirstError error(std::size_t index, const std::string& kind, int status, const std::string& message,
                 const std::string& source = "") {
  return FirstError{index, "c" + std::to_string(index), "p/s", source, kind, status, message};
}

TEST(DescribeErrors, SaysNothingWhenNothingFailed) {
  RunErrors errors;
  errors.requests.add_success();
  EXPECT_TRUE(describe_errors(errors).empty());
  EXPECT_FALSE(errors.exceed_allowance());
}

TEST(DescribeErrors, QuotesTheServersMessageWhenAllFailuresAreOfOneKind) {
  RunErrors errors;
  for (std::size_t i = 0; i < 20; ++i) {
    errors.requests.add_failure(
        error(i, "http_status", 401, "HTTP 401: Incorrect API key provided"));
  }
  ASSERT_EQ(describe_errors(errors).size(), 1u);
  EXPECT_EQ(describe_errors(errors)[0],
            "20 of 20 requests failed (http_status 401: Incorrect API key provided); first: "
            "case c0, variant p/s");
  EXPECT_TRUE(errors.exceed_allowance());
  errors.allowed = 20;
  EXPECT_FALSE(errors.exceed_allowance());
}

TEST(DescribeErrors, CountsSeveralKindsAndNamesTheEarliestCase) {
  RunErrors errors;
  errors.requests.add_success();
  errors.requests.add_failure(error(7, "timeout", 0, "Operation timed out after 60000 ms"));
  errors.requests.add_failure(error(3, "http_status", 500, "HTTP 500: overloaded"));
  errors.requests.add_failure(error(9, "http_status", 503, "HTTP 503: unavailable"));
  EXPECT_EQ(describe_errors(errors)[0],
            "3 of 4 requests failed (http_status: 2, timeout: 1); first: case c3, variant p/s: "
            "http_status 500: overloaded");
}

TEST(DescribeErrors, WithinACaseTheFirstDoesNotDependOnTheOrderAnswersCameIn) {
  FirstError say = error(4, "http_status", 400, "HTTP 400: bad");
  say.variant = "say/bad";
  FirstError echo = say;
  echo.variant = "echo/bad";
  ErrorTally one_order;
  one_order.add_failure(say);
  one_order.add_failure(echo);
  ErrorTally other_order;
  other_order.add_failure(echo);
  other_order.add_failure(say);
  ASSERT_TRUE(one_order.first && other_order.first);
  EXPECT_EQ(one_order.first->variant, "echo/bad");
  EXPECT_EQ(other_order.first->variant, "echo/bad");
}

TEST(DescribeErrors, HasALinePerKindOfWork) {
  RunErrors errors;
  errors.judges.add_failure(error(0, "unreadable_verdict", 0, "no score in the reply", "judge g"));
  errors.scorers.add_success();
  errors.scorers.add_failure(error(1, "scorer", 0, "the scorer exited with status 1", "metric m"));
  const std::vector<std::string> lines = describe_errors(errors);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "1 of 1 judge requests failed (unreadable_verdict: no score in the reply); first: "
            "case c0, variant p/s, judge g");
  EXPECT_EQ(lines[1],
            "1 of 2 scorer calls failed (scorer: the scorer exited with status 1); first: case "
            "c1, variant p/s, metric m");
  EXPECT_EQ(errors.failed(), 2u);
}

}  // namespace
}  // namespace promptbench
