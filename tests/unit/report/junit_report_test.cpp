// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/report_formats.hpp"
#include "report/render_support.hpp"
#include "unit/report/sample_report.hpp"
#include "unit/report/xml_check.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::parse_xml;
using testing::XmlElement;

const std::string kReplacement = "\xEF\xBF\xBD";

std::string junit(const nlohmann::ordered_json& report) {
  std::ostringstream out;
  render_junit(*report_from_json(report), out);
  return out.str();
}

const XmlElement& suite(const XmlElement& root, const std::string& name) {
  for (const XmlElement* s : root.all("testsuite")) {
    if (s->attr("name") == name) {
      return *s;
    }
  }
  throw std::runtime_error("no suite " + name);
}

const XmlElement& testcase(const XmlElement& suite, const std::string& name) {
  for (const XmlElement* c : suite.all("testcase")) {
    if (c->attr("name") == name) {
      return *c;
    }
  }
  throw std::runtime_error("no testcase " + name);
}

TEST(JunitReport, IsWellFormedXmlOfTheJunitShape) {
  const std::string xml = junit(testing::sample_report());
  EXPECT_THAT(xml, ::testing::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
  const XmlElement root = parse_xml(xml);
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.attr("name"), "qa <&>");
  // 6 results + 2 gates; failures: terse case 2, chat case 1, the chat gate; errors: chat 2.
  EXPECT_EQ(root.attr("tests"), "8");
  EXPECT_EQ(root.attr("failures"), "3");
  EXPECT_EQ(root.attr("errors"), "1");

  std::vector<std::string> names;
  std::size_t tests = 0;
  for (const XmlElement* s : root.all("testsuite")) {
    names.push_back(s->attr("name"));
    const auto cases = s->all("testcase");
    std::size_t failures = 0;
    std::size_t errors = 0;
    for (const XmlElement* c : cases) {
      EXPECT_EQ(c->attr("classname"), s->attr("name"));
      failures += c->all("failure").size();
      errors += c->all("error").size();
      EXPECT_LE(c->children.size(), 1u);
    }
    EXPECT_EQ(s->attr("tests"), std::to_string(cases.size())) << names.back();
    EXPECT_EQ(s->attr("failures"), std::to_string(failures)) << names.back();
    EXPECT_EQ(s->attr("errors"), std::to_string(errors)) << names.back();
    tests += cases.size();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"terse/stub", "chat/stub", "gates"}));
  EXPECT_EQ(tests, 8u);
}

TEST(JunitReport, ATestcasePerCaseNamedByItsIdWithTheLatencyAsTime) {
  const XmlElement root = parse_xml(junit(testing::sample_report()));
  const XmlElement& terse = suite(root, "terse/stub");
  std::vector<std::string> ids;
  for (const XmlElement* c : terse.all("testcase")) {
    ids.push_back(c->attr("name"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "x,\"y\""}));
  EXPECT_EQ(testcase(terse, "1").attr("time"), "0.010");
  EXPECT_TRUE(testcase(terse, "1").children.empty());
  EXPECT_EQ(terse.attr("time"), "0.034");
  const XmlElement& properties = *terse.all("properties").at(0);
  EXPECT_EQ(properties.all("property").at(2)->attr("value"), "m<1>");
}

TEST(JunitReport, FailureMessageHoldsExpectedActualAndScores) {
  const XmlElement root = parse_xml(junit(testing::sample_report()));
  const XmlElement& failure = *testcase(suite(root, "chat/stub"), "1").all("failure").at(0);
  EXPECT_EQ(failure.attr("type"), "metric");
  EXPECT_EQ(failure.attr("message"),
            "failed exact_match: expected: 4; actual: four; scores: exact_match=0 (fail), "
            "latency=20");
  EXPECT_EQ(failure.text,
            "expected: 4\nactual: four\nextracted: four\nscores: exact_match=0 (fail), latency=20");
}

TEST(JunitReport, ModelOutputIsEscapedAndInvalidCharactersReplaced) {
  const std::string xml = junit(testing::sample_report());
  EXPECT_EQ(xml.find("]]>"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  const XmlElement root = parse_xml(xml);
  const XmlElement& failure = *testcase(suite(root, "terse/stub"), "2").all("failure").at(0);
  const std::string shown = "<b>&\"q\" 'a'</b> ]]> " + kReplacement + kReplacement + "[31m" +
                            kReplacement + " end\r\nline2\ttab";
  // The body keeps the output exactly, CR included (escaped as &#13; so it is not folded).
  EXPECT_THAT(failure.text, HasSubstr("actual: " + shown + "\n"));
  // In the attribute, tab/CR/LF survive as character references.
  EXPECT_THAT(failure.attr("message"), HasSubstr("actual: " + shown + ";"));
  EXPECT_THAT(failure.text, HasSubstr("expected: a|b\nc\n"));
}

TEST(JunitReport, MetricsThatCouldNotScoreAreNamedInTheDetails) {
  auto report = testing::sample_report();
  report["cases"][0]["results"][1]["score_errors"] = {{"json_schema", "not JSON"}};
  const XmlElement root = parse_xml(junit(report));
  const XmlElement& failure = *testcase(suite(root, "chat/stub"), "1").all("failure").at(0);
  EXPECT_THAT(failure.text, ::testing::EndsWith("\nscore error: json_schema: not JSON"));
}

TEST(JunitReport, ErroredRequestIsAnErrorWithItsKind) {
  const XmlElement root = parse_xml(junit(testing::sample_report()));
  const XmlElement& c = testcase(suite(root, "chat/stub"), "2");
  ASSERT_EQ(c.all("error").size(), 1u);
  EXPECT_TRUE(c.all("failure").empty());
  const XmlElement& error = *c.all("error")[0];
  EXPECT_EQ(error.attr("type"), "http_status");
  EXPECT_EQ(error.attr("message"), "http_status 500: boom <html>; expected: a|b\nc");
  EXPECT_THAT(error.text, HasSubstr("error: http_status 500: boom <html>"));
}

TEST(JunitReport, GatesSuiteHasATestcasePerGate) {
  const XmlElement root = parse_xml(junit(testing::sample_report()));
  const XmlElement& gates = suite(root, "gates");
  ASSERT_EQ(gates.all("testcase").size(), 2u);
  EXPECT_TRUE(testcase(gates, "terse/stub exact_match >= 0.5").children.empty());
  const XmlElement& failed = testcase(gates, "chat/stub exact_match >= 0.75");
  ASSERT_EQ(failed.all("failure").size(), 1u);
  EXPECT_EQ(failed.all("failure")[0]->attr("message"), "value 0.5, below the minimum 0.75 by 0.25");
}

TEST(JunitReport, RepeatedSamplesAreSeparateTestcases) {
  auto report = testing::sample_report();
  report["run"]["repeat"] = 2;
  auto& results = report["cases"][0]["results"];
  results[0]["repeat"] = 0;
  auto again = results[0];
  again["repeat"] = 1;
  results.push_back(again);
  const XmlElement root = parse_xml(junit(report));
  const XmlElement& terse = suite(root, "terse/stub");
  EXPECT_EQ(terse.attr("tests"), "4");
  EXPECT_NO_THROW((void)testcase(terse, "1 [repeat 0]"));
  EXPECT_NO_THROW((void)testcase(terse, "1 [repeat 1]"));
}

TEST(JunitReport, ARepeatIndexOfASingleSampleRunIsNotShown) {
  auto report = testing::sample_report();
  report["cases"][0]["results"][0]["repeat"] = 0;
  const XmlElement root = parse_xml(junit(report));
  EXPECT_NO_THROW((void)testcase(suite(root, "terse/stub"), "1"));
}

TEST(JunitReport, NoGatesNoGatesSuite) {
  auto report = testing::sample_report();
  report["gates"] = nlohmann::ordered_json::array();
  const XmlElement root = parse_xml(junit(report));
  EXPECT_EQ(root.all("testsuite").size(), 2u);
  EXPECT_EQ(root.attr("tests"), "6");
}

// An independent parser: libxml2's, when the machine has xmllint (it is not a dependency).
TEST(JunitReport, XmllintAcceptsIt) {
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "xmllint not installed";
  }
  testing::ScratchDir dir;
  const auto path = dir.write("junit.xml", junit(testing::sample_report()));
  EXPECT_EQ(std::system(("xmllint --noout '" + path.string() + "'").c_str()), 0);
}

TEST(XmlEscape, EscapesMarkupInTextAndQuotesInAttributes) {
  EXPECT_EQ(xml_escape("a<b>&\"c\"'d'", false), "a&lt;b&gt;&amp;\"c\"'d'");
  EXPECT_EQ(xml_escape("a<b>&\"c\"'d'", true), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  EXPECT_EQ(xml_escape("]]>", false), "]]&gt;");
}

TEST(XmlEscape, KeepsWhiteSpaceAsReferencesInAttributesAndCrInText) {
  EXPECT_EQ(xml_escape("a\tb\nc\rd", true), "a&#9;b&#10;c&#13;d");
  EXPECT_EQ(xml_escape("a\tb\nc\rd", false), "a\tb\nc&#13;d");
}

TEST(XmlEscape, ReplacesWhatXmlCannotHold) {
  EXPECT_EQ(xml_escape(std::string("a\0b", 3), false), "a" + kReplacement + "b");
  EXPECT_EQ(
      xml_escape("\x01\x08\x0b\x0c\x1b\x1f", false),
      kReplacement + kReplacement + kReplacement + kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(xml_escape("\xEF\xBF\xBE\xEF\xBF\xBF", false), kReplacement + kReplacement);  // FFFE
  EXPECT_EQ(xml_escape("\xFF", false), kReplacement);                     // not UTF-8
  EXPECT_EQ(xml_escape("\xC3", false), kReplacement);                     // truncated
  EXPECT_EQ(xml_escape("\xC0\xAF", false), kReplacement + kReplacement);  // overlong '/'
  EXPECT_EQ(xml_escape("\xED\xA0\x80", false),
            kReplacement + kReplacement + kReplacement);  // a surrogate
}

TEST(XmlEscape, KeepsValidUnicode) {
  EXPECT_EQ(xml_escape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x7f", true),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x7f");
}

}  // namespace
}  // namespace promptbench
