// SPDX-License-Identifier: Apache-2.0
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/report_formats.hpp"
#include "report/render_support.hpp"
#include "unit/report/sample_report.hpp"

namespace promptbench {
namespace {

std::string csv(const nlohmann::ordered_json& report) {
  std::ostringstream out;
  render_csv(*report_from_json(report), out);
  return out.str();
}

/// An RFC 4180 reader, independent of the writer: records of fields, CRLF between records.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      EXPECT_TRUE(field.empty()) << "a quote inside an unquoted field at " << i;
      quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(field);
      field.clear();
      records.push_back(record);
      record.clear();
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "a bare LF outside quotes at " << i;
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(field.empty() && record.empty()) << "the last record lacks its CRLF";
  return records;
}

TEST(CsvReport, ARowPerCaseAndVariant) {
  const auto records = parse_csv(csv(testing::sample_report()));
  ASSERT_EQ(records.size(), 7u);
  EXPECT_EQ(records[0],
            (std::vector<std::string>{"case_id", "variant", "reference", "output", "extracted",
                                      "exact_match", "latency", "latency_ms", "cached", "error"}));
  EXPECT_EQ(records[1], (std::vector<std::string>{"1", "terse/stub", "4", "4", "4", "1", "10.25",
                                                  "10.25", "false", ""}));
  EXPECT_EQ(records[2], (std::vector<std::string>{"1", "chat/stub", "4", "four", "four", "0", "20",
                                                  "20", "true", ""}));
  EXPECT_EQ(records[3],
            (std::vector<std::string>{"2", "terse/stub", "a|b\nc", testing::kNastyOutput, "x", "0",
                                      "12.5", "12.5", "false", ""}));
  EXPECT_EQ(records[4], (std::vector<std::string>{"2", "chat/stub", "a|b\nc", "", "", "", "", "",
                                                  "false", "http_status 500: boom <html>"}));
  EXPECT_EQ(records[5], (std::vector<std::string>{"x,\"y\"", "terse/stub", R"(["a","b"])", "a", "a",
                                                  "1", "11.5", "11.5", "false", ""}));
}

TEST(CsvReport, QuotesOnlyTheFieldsThatNeedIt) {
  const std::string text = csv(testing::sample_report());
  EXPECT_THAT(text, ::testing::StartsWith(
                        "case_id,variant,reference,output,extracted,exact_match,latency,"
                        "latency_ms,cached,error\r\n1,terse/stub,4,4,4,1,10.25,10.25,false,\r\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("\"x,\"\"y\"\"\",terse/stub,\"[\"\"a\"\",\"\"b\"\"]\","));
}

TEST(CsvReport, RepeatColumnWhenTheRunRepeats) {
  auto report = testing::sample_report();
  report["run"]["repeat"] = 2;
  report["cases"][0]["results"][0]["repeat"] = 1;
  const auto records = parse_csv(csv(report));
  EXPECT_EQ(records[0][2], "repeat");
  EXPECT_EQ(records[1][2], "1");
  EXPECT_EQ(records[2][2], "");
}

TEST(CsvField, Rfc4180Quoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_field(" spaces kept "), " spaces kept ");
}

}  // namespace
}  // namespace promptbench
