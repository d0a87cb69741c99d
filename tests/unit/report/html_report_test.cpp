// SPDX-License-Identifier: Apache-2.0
// The HTML report's file, read back without a browser: its elements, its policy, the
// escaping of the head and the compact cases in the compressed blocks (docs/HTML_REPORT.md).
// What the page draws is checked in headless Chromium by the integration tests.
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "promptbench/report_formats.hpp"
#include "report/html_assets.hpp"
#include "unit/report/sample_report.hpp"
#include "util/sha256.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::ordered_json;

std::string html(const Json& report) {
  std::ostringstream out;
  render_html(*report_from_json(report), out);
  return out.str();
}

/// The elements of the file: every <script ...>text</script>, with its opening tag.
struct ScriptElement {
  std::string tag;
  std::string text;
};

std::vector<ScriptElement> script_elements(const std::string& page) {
  std::vector<ScriptElement> elements;
  std::size_t at = 0;
  while ((at = page.find("<script", at)) != std::string::npos) {
    const std::size_t tag_end = page.find('>', at);
    const std::size_t close = page.find("</script>", tag_end);
    EXPECT_NE(close, std::string::npos);
    elements.push_back(
        {page.substr(at, tag_end + 1 - at), page.substr(tag_end + 1, close - tag_end - 1)});
    at = close + 9;
  }
  return elements;
}

/// An RFC 4648 decoder, independent of the writer's encoder.
std::string base64_decode(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') {
      break;
    }
    const std::size_t value = kAlphabet.find(c);
    EXPECT_NE(value, std::string::npos) << "not base64: " << c;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string inflate(const std::string& bytes) {
  std::string out(1 << 22, '\0');
  uLongf size = out.size();
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                       reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()),
            Z_OK);
  out.resize(size);
  return out;
}

/// The compact cases of every block, in order, and the blocks' data-cases counts.
struct Blocks {
  std::vector<nlohmann::json> cases;
  std::vector<int> counts;
};

Blocks read_blocks(const std::string& page) {
  Blocks blocks;
  const std::regex count(R"re(data-cases="(\d+)")re");
  for (const ScriptElement& element : script_elements(page)) {
    if (element.tag.find("class=\"pb-cases\"") == std::string::npos) {
      continue;
    }
    std::smatch match;
    EXPECT_TRUE(std::regex_search(element.tag, match, count)) << element.tag;
    blocks.counts.push_back(std::stoi(match[1]));
    const auto cases = nlohmann::json::parse(inflate(base64_decode(element.text)));
    EXPECT_EQ(cases.size(), static_cast<std::size_t>(blocks.counts.back()));
    for (const auto& c : cases) {
      blocks.cases.push_back(c);
    }
  }
  return blocks;
}

nlohmann::json element_json(const std::string& page, const std::string& id) {
  for (const ScriptElement& element : script_elements(page)) {
    if (element.tag.find("id=\"" + id + "\"") != std::string::npos) {
      return nlohmann::json::parse(element.text);
    }
  }
  ADD_FAILURE() << "no element " << id;
  return nullptr;
}

TEST(HtmlReport, OneSelfContainedPageInTheDocumentedOrder) {
  const std::string page = html(testing::sample_report());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0U);
  const auto elements = script_elements(page);
  ASSERT_EQ(elements.size(), 4U);  // head, one block, meta, the page's script
  EXPECT_THAT(elements[0].tag, HasSubstr("id=\"pb-head\""));
  EXPECT_THAT(elements[1].tag, HasSubstr("class=\"pb-cases\""));
  EXPECT_THAT(elements[2].tag, HasSubstr("id=\"pb-meta\""));
  EXPECT_EQ(elements[3].tag, "<script>");
  EXPECT_EQ(elements[3].text, report::html_script());
  EXPECT_THAT(page, HasSubstr("<style>" + std::string(report::html_style()) + "</style>"));
  // Nothing that would load from elsewhere.
  EXPECT_THAT(page, Not(HasSubstr(" src=")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
}

TEST(HtmlReport, ThePolicyAllowsOnlyThePagesOwnScriptAndStyleByHash) {
  const std::string page = html(testing::sample_report());
  const std::string policy = "default-src 'none'; script-src 'sha256-" +
                             util::sha256_base64(report::html_script()) + "'; style-src 'sha256-" +
                             util::sha256_base64(report::html_style()) +
                             "'; img-src data:; base-uri 'none'; form-action 'none'";
  EXPECT_THAT(
      page, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"" + policy + "\">"));
  // The policy comes before anything it governs.
  EXPECT_LT(page.find("Content-Security-Policy"), page.find("<style>"));
}

TEST(HtmlReport, TheHeadIsTheReportWithoutItsCases) {
  Json report = testing::sample_report();
  const std::string page = html(report);
  report.erase("cases");
  ASSERT_FALSE(element_json(page, "pb-head").contains("cases"));
  EXPECT_EQ(element_json(page, "pb-head"), nlohmann::json::parse(report.dump()));
}

TEST(HtmlReport, MetaListsTheVariantsAndMetricsTheScoresArePositionedBy) {
  const auto meta = element_json(html(testing::sample_report()), "pb-meta");
  EXPECT_EQ(meta["format"], 1);
  EXPECT_EQ(meta["compression"], "deflate");
  EXPECT_EQ(meta["variants"], nlohmann::json({"terse/stub", "chat/stub"}));
  EXPECT_EQ(meta["metrics"], nlohmann::json({"exact_match", "latency"}));
}

TEST(HtmlReport, CasesAreCompactAndWrittenOnce) {
  const Blocks blocks = read_blocks(html(testing::sample_report()));
  ASSERT_EQ(blocks.cases.size(), 3U);
  const auto& first = blocks.cases[0];
  EXPECT_EQ(first["i"], 0);
  EXPECT_EQ(first["id"], "1");
  EXPECT_EQ(first["vars"], nlohmann::json({{"q", "2+2"}}));
  EXPECT_EQ(first["ref"], "4");
  ASSERT_EQ(first["r"].size(), 2U);
  const auto& terse = first["r"][0];
  EXPECT_EQ(terse["v"], 0);
  EXPECT_EQ(terse["o"], "4");
  EXPECT_FALSE(terse.contains("x")) << "the extracted answer equals the output: written once";
  EXPECT_FALSE(terse.contains("rep"));
  EXPECT_EQ(terse["l"], 10.25);
  EXPECT_EQ(terse["s"], nlohmann::json({1, 10.25}));
  EXPECT_EQ(terse["p"], nlohmann::json({1, nullptr}));
  EXPECT_FALSE(terse.contains("c"));
  EXPECT_EQ(first["r"][1]["v"], 1);
  EXPECT_EQ(first["r"][1]["c"], 1);

  const auto& second = blocks.cases[1];
  EXPECT_EQ(second["r"][0]["o"], testing::kNastyOutput);
  EXPECT_EQ(second["r"][0]["x"], "x") << "an extraction that changed the output is kept";
  const auto& failed = second["r"][1];
  EXPECT_EQ(failed["o"], nullptr);
  EXPECT_EQ(failed["e"], nlohmann::json({{"k", "http_status"}, {"m", "boom <html>"}, {"s", 500}}));
  EXPECT_FALSE(failed.contains("s"));
  EXPECT_FALSE(failed.contains("l"));

  EXPECT_EQ(blocks.cases[2]["id"], "x,\"y\"");
  EXPECT_EQ(blocks.cases[2]["ref"], nlohmann::json({"a", "b"}));
}

TEST(HtmlReport, RepeatsTtftCostUsageScoreErrorsAndWhatAJudgeSaid) {
  Json report = testing::sample_report();
  Json& result = report["cases"][0]["results"][0];
  result["repeat"] = 2;
  result["ttft_ms"] = 3.5;
  result["cost_usd"] = 0.00125;
  result["usage"] = {{"prompt_tokens", 12}, {"completion_tokens", nullptr}};
  result["score_errors"] = {{"judged", "the judge's request failed: timeout"}};
  result["details"] = {
      {"judged", {{"judge", "grader"}, {"prompt", "a long prompt"}, {"reply", "Wrong: 5"}}},
      {"latency", {{"reason", "slow <but fine>"}}}};
  const auto compact = read_blocks(html(report)).cases[0]["r"][0];
  EXPECT_EQ(compact["rep"], 2);
  EXPECT_EQ(compact["t"], 3.5);
  EXPECT_EQ(compact["$"], 0.00125);
  EXPECT_EQ(compact["u"], nlohmann::json({12, nullptr}));
  EXPECT_EQ(compact["se"], nlohmann::json({{"judged", "the judge's request failed: timeout"}}));
  EXPECT_EQ(compact["d"]["judged"], nlohmann::json({{"judge", "grader"}, {"reply", "Wrong: 5"}}))
      << "the judge's prompt stays in the JSON report";
  EXPECT_EQ(compact["d"]["latency"], nlohmann::json({{"reason", "slow <but fine>"}}));
}

TEST(HtmlReport, CasesComeInBlocksOfAThousandInTheReportsOrder) {
  Json report = testing::sample_report();
  const Json one = report["cases"][0];
  report["cases"] = Json::array();
  for (int i = 0; i < 2500; ++i) {
    Json c = one;
    c["id"] = "case-" + std::to_string(i);
    c["index"] = static_cast<std::size_t>(i);
    report["cases"].push_back(c);
  }
  const Blocks blocks = read_blocks(html(report));
  EXPECT_EQ(blocks.counts, (std::vector<int>{1000, 1000, 500}));
  ASSERT_EQ(blocks.cases.size(), 2500U);
  for (int i : {0, 999, 1000, 2499}) {
    EXPECT_EQ(blocks.cases[static_cast<std::size_t>(i)]["id"], "case-" + std::to_string(i));
    EXPECT_EQ(blocks.cases[static_cast<std::size_t>(i)]["i"], i);
  }
}

TEST(HtmlReport, AReportWithoutCasesHasNoBlocks) {
  Json report = testing::sample_report();
  report["cases"] = Json::array();
  const std::string page = html(report);
  EXPECT_TRUE(read_blocks(page).cases.empty());
  EXPECT_EQ(element_json(page, "pb-meta")["variants"].size(), 2U);
}

TEST(HtmlReport, AVariantOrMetricTheHeadLacksIsAddedToMeta) {
  Json report = testing::sample_report();
  Json& result = report["cases"][0]["results"][1];
  result["variant"] = "extra/stub";
  result["scores"]["bleu"] = 0.25;
  const std::string page = html(report);
  const auto meta = element_json(page, "pb-meta");
  EXPECT_EQ(meta["variants"], nlohmann::json({"terse/stub", "chat/stub", "extra/stub"}));
  EXPECT_EQ(meta["metrics"], nlohmann::json({"exact_match", "latency", "bleu"}));
  const auto compact = read_blocks(page).cases[0]["r"][1];
  EXPECT_EQ(compact["v"], 2);
  EXPECT_EQ(compact["s"][2], 0.25);
}

/// Strings that would be markup, end the script element, open a comment or end a JavaScript
/// line, everywhere a report has text.
TEST(HtmlReport, NoStringOfTheReportCanEndOrOpenAnElement) {
  const std::string hostile =
      "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> "
      "javascript:alert(3) \xE2\x80\xA8 \xE2\x80\xA9 & </style>";
  Json report = testing::sample_report();
  report["run"]["name"] = hostile;
  report["variants"][0]["id"] = hostile;
  report["cases"][0]["id"] = hostile;
  report["cases"][0]["vars"]["q"] = hostile;
  report["cases"][0]["reference"] = hostile;
  report["cases"][0]["results"][0]["variant"] = hostile;
  report["cases"][0]["results"][0]["output"] = hostile;
  const std::string page = html(report);

  const auto elements = script_elements(page);
  ASSERT_EQ(elements.size(), 4U) << "no string closed or opened a script element";
  for (const ScriptElement& data : {elements[0], elements[1], elements[2]}) {
    for (const char* raw : {"<", ">", "&", "\xE2\x80\xA8", "\xE2\x80\xA9"}) {
      EXPECT_EQ(data.text.find(raw), std::string::npos) << data.tag << " holds a raw " << raw;
    }
  }
  const std::size_t data_end = page.find("<script>");  // the page's own script follows
  EXPECT_EQ(page.find("<!--"), std::string::npos);
  EXPECT_EQ(page.rfind("<img", data_end), std::string::npos);
  // The same page without the hostile strings has as many '<': every one is the page's own.
  const std::string plain = html(testing::sample_report());
  EXPECT_EQ(std::count(page.begin(), page.end(), '<'), std::count(plain.begin(), plain.end(), '<'))
      << "every '<' in the file is the page's own";
  EXPECT_THAT(page, HasSubstr("<title>&lt;/script&gt;&lt;script&gt;alert(1)"));

  // The strings survive: the page reads them back exactly.
  const auto head = element_json(page, "pb-head");
  EXPECT_EQ(head["run"]["name"], hostile);
  EXPECT_EQ(head["variants"][0]["id"], hostile);
  const auto compact = read_blocks(page).cases[0];
  EXPECT_EQ(compact["id"], hostile);
  EXPECT_EQ(compact["ref"], hostile);
  EXPECT_EQ(compact["vars"]["q"], hostile);
  EXPECT_EQ(compact["r"][0]["o"], hostile);
}

TEST(HtmlReport, InvalidUtf8BecomesTheReplacementCharacter) {
  Json report = testing::sample_report();
  report["run"]["name"] = "bad \xC3\x28 byte";
  report["cases"][0]["results"][0]["output"] = "out \xFF put";
  const std::string page = html(report);
  EXPECT_EQ(element_json(page, "pb-head")["run"]["name"], "bad \xEF\xBF\xBD( byte");
  EXPECT_EQ(read_blocks(page).cases[0]["r"][0]["o"], "out \xEF\xBF\xBD put");
}

}  // namespace
}  // namespace promptbench
