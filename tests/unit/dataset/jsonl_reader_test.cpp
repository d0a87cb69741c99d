// SPDX-License-Identifier: Apache-2.0
// JSON Lines reader: rows, blank lines, CRLF, BOM, and the exact error messages.
#include <sstream>

#include <gtest/gtest.h>

#include "promptbench/dataset.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

std::unique_ptr<RowReader> jsonl(const std::string& text) {
  return make_jsonl_reader(std::make_unique<std::istringstream>(text), "datasets/qa.jsonl");
}

/// Reads until the reader throws; the message, or "(no error)".
std::string jsonl_error_of(const std::string& text) {
  auto reader = jsonl(text);
  try {
    while (reader->next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JsonlReader, ReadsOneObjectPerLine) {
  auto reader = jsonl("{\"q\": \"a\", \"label\": \"x\"}\n{\"q\": \"b\", \"n\": [1, 2]}\n");
  EXPECT_EQ(reader->next(), json({{"q", "a"}, {"label", "x"}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.jsonl:1");
  EXPECT_EQ(reader->next(), json({{"q", "b"}, {"n", {1, 2}}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.jsonl:2");
  EXPECT_EQ(reader->next(), std::nullopt);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonlReader, SkipsBlankLinesAndKeepsLineNumbers) {
  auto reader = jsonl("\n   \n{\"a\": 1}\n\t \n{\"a\": 2}");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_EQ(reader->where().line, 3U);
  EXPECT_EQ(reader->next(), json({{"a", 2}}));
  EXPECT_EQ(reader->where().line, 5U);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonlReader, AcceptsCrlfLineEndings) {
  auto reader = jsonl("{\"a\": \"x\\r\"}\r\n\r\n{\"a\": 2}\r\n");
  EXPECT_EQ(reader->next(), json({{"a", "x\r"}}));
  EXPECT_EQ(reader->next(), json({{"a", 2}}));
  EXPECT_EQ(reader->where().line, 3U);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonlReader, SkipsByteOrderMark) {
  auto reader = jsonl("\xEF\xBB\xBF{\"a\": 1}\n");
  EXPECT_EQ(reader->next(), json({{"a", 1}}));
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(JsonlReader, EmptyInputHasNoRows) {
  EXPECT_EQ(jsonl("")->next(), std::nullopt);
  EXPECT_EQ(jsonl("\n \r\n")->next(), std::nullopt);
}

TEST(JsonlReader, ReportsLineOfMalformedRow) {
  EXPECT_EQ(jsonl_error_of("{\"a\": 1}\n\n{\"a\": 2\n{\"a\": 3}\n"),
            "datasets/qa.jsonl:3: malformed JSON: syntax error while parsing object - "
            "unexpected end of input; expected '}'");
}

TEST(JsonlReader, ErrorCarriesTheLocation) {
  try {
    auto reader = jsonl("{\"a\": 1}\n{oops}\n");
    (void)reader->next();
    (void)reader->next();
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.where().file, "datasets/qa.jsonl");
    EXPECT_EQ(e.where().line, 2U);
  }
}

TEST(JsonlReader, ReportsTrailingTextAfterTheObject) {
  EXPECT_EQ(jsonl_error_of("{\"a\": 1} x\n"),
            "datasets/qa.jsonl:1: malformed JSON: syntax error while parsing value - "
            "invalid literal; last read: '1} x'; expected end of input");
}

TEST(JsonlReader, ReportsObjectSpreadOverLines) {
  EXPECT_EQ(jsonl_error_of("{\"a\":\n 1}\n"),
            "datasets/qa.jsonl:1: malformed JSON: syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
}

// nlohmann's own message quoted the raw byte, putting invalid UTF-8 on the terminal.
TEST(JsonlReader, ReportsInvalidUtf8WithoutQuotingIt) {
  EXPECT_EQ(jsonl_error_of("{\"a\": \"\xFF\"}\n"),
            "datasets/qa.jsonl:1: invalid UTF-8 (byte 0xFF); save the file as UTF-8");
  EXPECT_EQ(jsonl_error_of("{\"q\": \"a\"}\n{\"q\": \"caf\xE9\"}\n"),
            "datasets/qa.jsonl:2: invalid UTF-8 (byte 0xE9); save the file as UTF-8");
}

TEST(JsonlReader, RejectsRowThatIsNotAnObject) {
  EXPECT_EQ(jsonl_error_of("{\"a\": 1}\n[1, 2]\n"),
            "datasets/qa.jsonl:2: expected a JSON object, got array");
  EXPECT_EQ(jsonl_error_of("\"text\"\n"),
            "datasets/qa.jsonl:1: expected a JSON object, got string");
  EXPECT_EQ(jsonl_error_of("42\n"), "datasets/qa.jsonl:1: expected a JSON object, got number");
  EXPECT_EQ(jsonl_error_of("null\n"), "datasets/qa.jsonl:1: expected a JSON object, got null");
}

TEST(JsonlReader, RefusesARowNestedDeeperThan100Levels) {
  // 20,000 levels used to reach the template renderer and overflow its stack.
  const std::string deep = std::string(20'000, '[') + std::string(20'000, ']');
  EXPECT_EQ(jsonl_error_of("{\"q\": \"a\"}\n\n{\"q\": " + deep + "}\n"),
            "datasets/qa.jsonl:3: values nested deeper than 100 levels");
  const std::string limit = std::string(99, '[') + std::string(99, ']');
  EXPECT_EQ(jsonl_error_of("{\"q\": " + limit + ", \"s\": \"[[[[\"}\n"), "(no error)");
}

}  // namespace
}  // namespace promptbench
