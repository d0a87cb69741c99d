// SPDX-License-Identifier: Apache-2.0
// Tests of output extraction: regex, JSON pointer, trim, first line, and their errors.
#include "promptbench/extract.hpp"

#include <gtest/gtest.h>

namespace promptbench {
namespace {

const SourceLocation kWhere{"eval.yaml", 12, 10};

ExtractStep regex_step(const std::string& pattern, int group = 0, bool last = false) {
  ExtractStep step;
  step.kind = ExtractStep::Kind::regex;
  step.pattern = pattern;
  step.group = group;
  step.last = last;
  step.where = kWhere;
  return step;
}

ExtractStep pointer_step(const std::string& pointer) {
  ExtractStep step;
  step.kind = ExtractStep::Kind::json_pointer;
  step.pattern = pointer;
  step.where = kWhere;
  return step;
}

ExtractStep kind_step(ExtractStep::Kind kind) {
  ExtractStep step;
  step.kind = kind;
  step.where = kWhere;
  return step;
}

std::string extract(const ExtractConfig& steps, const std::string& text) {
  const auto result = Extractor(steps).apply(text);
  return result ? *result : "error: " + result.error();
}

std::string construction_error(const ExtractConfig& steps) {
  try {
    const Extractor extractor(steps);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Extractor, PassesTextThroughWithoutSteps) {
  const Extractor extractor(ExtractConfig{});
  EXPECT_TRUE(extractor.empty());
  EXPECT_EQ(extract({}, " as is \n"), " as is \n");
}

TEST(Extractor, TakesTheWholeFirstRegexMatch) {
  EXPECT_EQ(extract({regex_step("positive|negative")}, "not negative, positive"), "negative");
}

TEST(Extractor, TakesTheRequestedGroup) {
  EXPECT_EQ(extract({regex_step("Answer: (\\w+)", 1)}, "Answer: B\nAnswer: C"), "B");
}

TEST(Extractor, TakesTheLastMatchWhenAsked) {
  EXPECT_EQ(extract({regex_step("Answer: (\\w+)", 1, true)}, "Answer: B\nAnswer: C\nok"), "C");
}

TEST(Extractor, TakesTheLastOfAdjacentAndEmptyMatches) {
  EXPECT_EQ(extract({regex_step("\\d*", 0, true)}, "12ab345"), "");
  EXPECT_EQ(extract({regex_step("\\d+", 0, true)}, "12ab345"), "345");
  EXPECT_EQ(extract({regex_step("é*", 0, true)}, "éé-é"), "");
}

TEST(Extractor, GivesAnEmptyStringWhenTheRegexDoesNotMatch) {
  EXPECT_EQ(extract({regex_step("(yes|no)", 1)}, "maybe"), "");
  EXPECT_EQ(extract({regex_step("(yes|no)", 1, true)}, "maybe"), "");
}

TEST(Extractor, GivesAnEmptyStringForAGroupThatDidNotTakePart) {
  EXPECT_EQ(extract({regex_step("a(x)?b", 1)}, "ab"), "");
}

TEST(Extractor, ReadsAJsonPointer) {
  EXPECT_EQ(extract({pointer_step("/answer")}, R"({"answer": "Paris", "n": 1})"), "Paris");
  EXPECT_EQ(extract({pointer_step("/items/1")}, R"({"items": [1, 2.5]})"), "2.5");
}

TEST(Extractor, WritesNonStringValuesAsCompactJson) {
  EXPECT_EQ(extract({pointer_step("/a")}, R"({"a": {"b": [1, true, null]}})"),
            R"({"b":[1,true,null]})");
  EXPECT_EQ(extract({pointer_step("")}, R"([ "x" ])"), R"(["x"])");
}

TEST(Extractor, FindsJsonInsideAMarkdownFence) {
  const std::string text =
      "Sure! Here it is:\n```json\n{\"label\": \"positive\", \"why\": \"[ok]\"}\n```\n";
  EXPECT_EQ(extract({pointer_step("/label")}, text), "positive");
}

TEST(Extractor, SkipsBracketedProseBeforeTheJson) {
  EXPECT_EQ(extract({pointer_step("/0")}, "[note] the list: [\"a\", \"b\"] done"), "a");
}

TEST(Extractor, GivesAnEmptyStringForAnAbsentPointer) {
  EXPECT_EQ(extract({pointer_step("/missing")}, R"({"answer": 1})"), "");
  EXPECT_EQ(extract({pointer_step("/answer/deeper")}, R"({"answer": 1})"), "");
  EXPECT_EQ(extract({pointer_step("/list/x")}, R"({"list": [1]})"), "");
}

TEST(Extractor, ReportsOutputThatIsNotJson) {
  EXPECT_EQ(extract({pointer_step("/answer")}, "The answer is {Paris"),
            "error: output is not JSON");
  EXPECT_EQ(extract({pointer_step("/answer")}, "\xff\xfe"), "error: output is not JSON");
}

TEST(Extractor, TrimsUnicodeWhitespace) {
  EXPECT_EQ(extract({kind_step(ExtractStep::Kind::trim)}, "\u3000 Paris \u00a0\n"), "Paris");
}

TEST(Extractor, TakesTheFirstLineWithoutCarriageReturn) {
  EXPECT_EQ(extract({kind_step(ExtractStep::Kind::first_line)}, "yes\r\nbecause"), "yes");
  EXPECT_EQ(extract({kind_step(ExtractStep::Kind::first_line)}, "one line"), "one line");
}

TEST(Extractor, RunsStepsInOrder) {
  const ExtractConfig steps = {pointer_step("/reply"), kind_step(ExtractStep::Kind::first_line),
                               regex_step("label: (\\w+)", 1), kind_step(ExtractStep::Kind::trim)};
  EXPECT_EQ(extract(steps, R"({"reply": "label: positive\nlabel: negative"})"), "positive");
}

TEST(Extractor, StopsAtTheFirstError) {
  const ExtractConfig steps = {kind_step(ExtractStep::Kind::trim), pointer_step("/a")};
  EXPECT_EQ(extract(steps, "plain"), "error: output is not JSON");
}

TEST(Extractor, DoesNotCrashOnInvalidUtf8) {
  const ExtractConfig steps = {regex_step("(.*)", 1, true), kind_step(ExtractStep::Kind::trim),
                               kind_step(ExtractStep::Kind::first_line)};
  EXPECT_NO_FATAL_FAILURE((void)Extractor(steps).apply(" \xff\xc3 ok \xe2\x82\n"));
  EXPECT_EQ(extract({kind_step(ExtractStep::Kind::trim)}, " \xff ok \xc3 "), "\xff ok \xc3");
}

TEST(Extractor, ReportsAnInvalidRegexAtTheStep) {
  EXPECT_EQ(construction_error({regex_step("(unclosed")}),
            "eval.yaml:12:10: extract.regex: invalid regular expression: missing ): (unclosed");
}

TEST(Extractor, ReportsAGroupThePatternDoesNotHave) {
  EXPECT_EQ(construction_error({regex_step("(a)(b)", 3)}),
            "eval.yaml:12:10: extract.group: group 3 does not exist: the pattern has 2 capturing "
            "groups");
  EXPECT_EQ(construction_error({regex_step("ab", 1)}),
            "eval.yaml:12:10: extract.group: group 1 does not exist: the pattern has 0 capturing "
            "groups");
}

TEST(Extractor, ReportsAnInvalidJsonPointer) {
  EXPECT_EQ(construction_error({pointer_step("/a~2")}),
            "eval.yaml:12:10: extract.json_pointer: invalid JSON pointer '/a~2'");
}

TEST(Extractor, StaysUsableAfterAMove) {
  Extractor first({regex_step("\\d+")});
  Extractor second = std::move(first);
  EXPECT_EQ(second.apply("abc 42").value(), "42");
}

}  // namespace
}  // namespace promptbench
