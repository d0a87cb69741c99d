// SPDX-License-Identifier: Apache-2.0
// JSON array reader: element-by-element streaming, row lines, and the exact error messages.
#include <sstream>

#include <gtest/gtest.h>

#include "promptbench/dataset.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

std::unique_ptr<RowReader> json_array(const std::string& text) {
  return make_json_array_reader(std::make_unique<std::istringstream>(text), "datasets/qa.json");
}

/// Reads until the reader throws; the message, or "(no error)".
std::string array_error_of(const std::string& text) {
  auto reader = json_array(text);
  try {
    while (reader->next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JsonArrayReader, ReadsEachElementAsARowAtTheLineItStarts) {
  auto reader = json_array(
      "[\n"
      "  {\"a\": 1},\n"
      "  {\n"
      "    \"text\": \"brackets ]}[{ and \\\"quotes\\\", commas\",\n"
      "    \"nested\": {\"list\": [1, [2, {\"b\": null}]]}\n"
      "  }, {\"escaped\": \"\\\\\"}\n"
      "]\n");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.json:2");
  EXPECT_EQ(reader->next(), json::parse(R"({"text": "brackets ]}[{ and \"quotes\", commas",
                                            "nested": {"list": [1, [2, {"b": null}]]}})"));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.json:3");
  EXPECT_EQ(reader->next(), json({{"escaped", "\\"}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.json:6");
  EXPECT_EQ(reader->next(), std::nullopt);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonArrayReader, ReadsCompactArrayOnOneLine) {
  auto reader = json_array("[{\"a\":1},{\"a\":2}]");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_EQ(reader->next(), json({{"a", 2}}));
  EXPECT_EQ(reader->where().line, 1U);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonArrayReader, EmptyArrayHasNoRows) {
  EXPECT_EQ(json_array("[]")->next(), std::nullopt);
  EXPECT_EQ(json_array("\r\n  [ \n ]\n\n")->next(), std::nullopt);
}

TEST(JsonArrayReader, SkipsByteOrderMark) {
  auto reader = json_array("\xEF\xBB\xBF[{\"a\": 1}]\n");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonArrayReader, ReadsElementLongerThanTheReadBuffer) {
  const std::string long_text(200 * 1024, 'x');
  auto reader = json_array("[{\"a\": \"" + long_text + "\"}, {\"b\": 2}]");
  EXPECT_EQ(reader->next(), json({{"a", long_text}}));
  EXPECT_EQ(reader->next(), json({{"b", 2}}));
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonArrayReader, RejectsFileThatIsNotAnArray) {
  EXPECT_EQ(array_error_of("{\"a\": 1}\n"), "datasets/qa.json:1: expected a JSON array of objects");
  EXPECT_EQ(array_error_of(""), "datasets/qa.json:1: expected a JSON array of objects");
  EXPECT_EQ(array_error_of("\n\n  \"rows\""),
            "datasets/qa.json:3: expected a JSON array of objects");
}

TEST(JsonArrayReader, RejectsElementThatIsNotAnObject) {
  EXPECT_EQ(array_error_of("[\n  {\"a\": 1},\n  42\n]\n"),
            "datasets/qa.json:3: expected a JSON object, got number");
  EXPECT_EQ(array_error_of("[[1, 2]]"), "datasets/qa.json:1: expected a JSON object, got array");
  EXPECT_EQ(array_error_of("[\"x\"]"), "datasets/qa.json:1: expected a JSON object, got string");
}

TEST(JsonArrayReader, ReportsMalformedElementAtTheLineOfTheMistake) {
  EXPECT_EQ(array_error_of("[\n  {\"a\": 1},\n  {\n    \"a\": tru\n  }\n]\n"),
            "datasets/qa.json:4: malformed JSON: syntax error while parsing value - "
            "invalid literal; last read: '\"a\": tru<U+000A>'");
}

TEST(JsonArrayReader, ReportsMismatchedBracket) {
  EXPECT_EQ(array_error_of("[\n{\"a\": [1, 2}\n]"),
            "datasets/qa.json:2: malformed JSON: syntax error while parsing array - "
            "unexpected '}'; expected ']'");
}

TEST(JsonArrayReader, ReportsUnterminatedStringAtItsLine) {
  // The scanner stops at the raw newline instead of reading the rest of the file as text.
  EXPECT_EQ(array_error_of("[\n{\"a\": \"no end\n}, {\"b\": 1}]\n"),
            "datasets/qa.json:2: malformed JSON: syntax error while parsing value - "
            "invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n; "
            "last read: '\"no end<U+000A>'");
}

TEST(JsonArrayReader, ReportsUnterminatedArray) {
  EXPECT_EQ(array_error_of("[{\"a\": 1}"),
            "datasets/qa.json:1: malformed JSON: unexpected end of input; expected ',' or ']'");
  EXPECT_EQ(array_error_of("[\n{\"a\": 1},\n"),
            "datasets/qa.json:3: malformed JSON: unexpected end of input; "
            "expected a JSON object");
  EXPECT_EQ(array_error_of("["),
            "datasets/qa.json:1: malformed JSON: unexpected end of input; "
            "expected a JSON object");
}

TEST(JsonArrayReader, ReportsElementCutOffByEndOfFile) {
  EXPECT_EQ(array_error_of("[\n{\"a\": [1,\n 2"),
            "datasets/qa.json:3: malformed JSON: syntax error while parsing array - "
            "unexpected end of input; expected ']'");
}

TEST(JsonArrayReader, ReportsMisplacedSeparators) {
  EXPECT_EQ(array_error_of("[{\"a\": 1},\n]"),
            "datasets/qa.json:2: malformed JSON: unexpected ']'; expected a JSON object");
  EXPECT_EQ(array_error_of("[,{\"a\": 1}]"),
            "datasets/qa.json:1: malformed JSON: unexpected ','; expected a JSON object");
  EXPECT_EQ(array_error_of("[{\"a\": 1} {\"b\": 2}]"),
            "datasets/qa.json:1: malformed JSON: unexpected '{'; expected ',' or ']'");
}

TEST(JsonArrayReader, ReportsContentAfterTheArray) {
  auto reader = json_array("[{\"a\": 1}]\n\n[{\"b\": 2}]");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  try {
    (void)reader->next();
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "datasets/qa.json:3: malformed JSON: unexpected '[' after the end of the array");
  }
}

TEST(JsonArrayReader, StopsAfterAnError) {
  auto reader = json_array("[{\"a\": 1}, 2, {\"b\": 3}]");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_THROW((void)reader->next(), UserError);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonArrayReader, RefusesAnElementNestedDeeperThan100LevelsAtTheLineOfTheLevel) {
  const std::string deep = std::string(20'000, '[') + std::string(20'000, ']');
  EXPECT_EQ(array_error_of("[{\"q\": \"a\"},\n {\"q\":\n  " + deep + "}]\n"),
            "datasets/qa.json:3: values nested deeper than 100 levels");
}

TEST(JsonArrayReader, ReportsInvalidUtf8AtItsLine) {
  EXPECT_EQ(array_error_of("[{\"q\": \"a\"},\n {\"q\":\n  \"\xFF\"}]\n"),
            "datasets/qa.json:3: invalid UTF-8 (byte 0xFF); save the file as UTF-8");
}

}  // namespace
}  // namespace promptbench
