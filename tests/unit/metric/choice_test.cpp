// SPDX-License-Identifier: Apache-2.0
// Tests of the choice metric: the extraction rules documented in choice.cpp, one by one.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;
using testing::value_of;

double choice(const std::string& output, const json& reference,
              const json& params = json::object()) {
  return value_of("choice", params, output, reference);
}

TEST(Choice, ReadsABareLetter) {  // rule 1
  for (const char* output : {"B", " b ", "(B)", "B)", "B.", "**B**", "[B]"}) {
    EXPECT_EQ(choice(output, "B"), 1) << output;
  }
  EXPECT_EQ(choice("A", "A"), 1);
  EXPECT_EQ(choice("C", "B"), 0);
}

TEST(Choice, ReadsAnAnswerPhrase) {  // rule 2
  EXPECT_EQ(choice("Answer: B", "B"), 1);
  EXPECT_EQ(choice("The answer is B.", "B"), 1);
  EXPECT_EQ(choice("The correct answer is (C) because 2 + 2 = 4.", "C"), 1);
  EXPECT_EQ(choice("the answer is b.", "B"), 1);
  EXPECT_EQ(choice("Final answer would be D", "D"), 1);
  EXPECT_EQ(choice("The answer is option e", "E"), 1);
  EXPECT_EQ(choice("I pick option B.", "B"), 1);
  EXPECT_EQ(choice("The answer is A.", "A"), 1);
}

TEST(Choice, TakesTheLastAnswerPhrase) {
  EXPECT_EQ(choice("At first the answer seemed A. On reflection, the answer is C.", "C"), 1);
}

TEST(Choice, PrefersAnAnswerPhraseOverAnOptionPhrase) {
  EXPECT_EQ(choice("Answer: C. Option A is wrong because of the date.", "C"), 1);
}

TEST(Choice, DoesNotReadALowercaseArticleAfterAnswer) {
  EXPECT_EQ(choice("The answer is a bit unclear, but B fits.", "B"), 1);
}

TEST(Choice, ReadsALeadingLabel) {  // rule 3
  EXPECT_EQ(choice("B) Paris", "B"), 1);
  EXPECT_EQ(choice("(c) 42, since the sum is even", "C"), 1);
  EXPECT_EQ(choice("D. None of the above", "D"), 1);
}

TEST(Choice, ReadsOneStandaloneLetter) {  // rule 4
  EXPECT_EQ(choice("I think B is correct", "B"), 1);
  EXPECT_EQ(choice("A is correct", "A"), 1);
}

TEST(Choice, DoesNotTakeTheArticleAForAnAnswer) {
  EXPECT_EQ(choice("A cat would say B", "B"), 1);
  EXPECT_EQ(choice("A cat sat on the mat", "A"), 0);
}

TEST(Choice, FindsNoAnswerWhenTwoLettersCompete) {
  EXPECT_EQ(choice("Either B or C", "B"), 0);
  EXPECT_EQ(choice("Either B or C", "C"), 0);
}

TEST(Choice, FindsNoAnswerInOrdinaryText) {
  EXPECT_EQ(choice("I don't know", "A"), 0);
  EXPECT_EQ(choice("", "A"), 0);
  EXPECT_EQ(choice("Paris", "A"), 0);
}

TEST(Choice, OnlyKnowsTheConfiguredLetters) {
  EXPECT_EQ(choice("F", "F", {{"choices", "ABCDEF"}}), 1);
  EXPECT_EQ(choice("The answer is E", "A", {{"choices", "ABCD"}}), 0);
  EXPECT_EQ(choice("Answer: f", "F", {{"choices", "abcdef"}}), 1);
}

TEST(Choice, ReadsReferencesCaseInsensitivelyAndInParentheses) {
  EXPECT_EQ(choice("B", "b"), 1);
  EXPECT_EQ(choice("B", "(B)"), 1);
  EXPECT_EQ(choice("B", json::array({"A", "B"})), 1);
}

TEST(Choice, ReportsAReferenceThatIsNotALetter) {
  const auto metric = metric_named("choice");
  EXPECT_EQ(score_with(*metric, "B", "Paris").error(),
            "the reference 'Paris' is not one of the choices ABCDE");
  EXPECT_EQ(score_with(*metric, "B", nullptr).error(), "the case has no reference");
}

TEST(Choice, ChecksItsParameters) {
  EXPECT_EQ(param_error("choice", {{"choices", ""}}), "choices: expected at least one letter");
  EXPECT_EQ(param_error("choice", {{"choices", "AB1"}}),
            "choices: expected letters A-Z only, got 'AB1'");
  EXPECT_EQ(param_error("choice", {{"letters", "AB"}}), "letters: unknown parameter 'letters'");
}

}  // namespace
}  // namespace promptbench
