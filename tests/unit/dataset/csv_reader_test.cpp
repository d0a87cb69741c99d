// SPDX-License-Identifier: Apache-2.0
// CSV reader: RFC 4180 quoting, BOM, line endings, row lines, and the exact error messages.
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "promptbench/dataset.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

std::unique_ptr<RowReader> csv(const std::string& text) {
  return make_csv_reader(std::make_unique<std::istringstream>(text), "datasets/qa.csv");
}

struct Row {
  json value;
  std::size_t line;
  bool operator==(const Row&) const = default;
};

void PrintTo(const Row& row, std::ostream* out) {
  *out << row.line << ": " << row.value.dump();
}

std::vector<Row> read_all(const std::string& text) {
  auto reader = csv(text);
  std::vector<Row> rows;
  while (auto row = reader->next()) {
    rows.push_back({*row, reader->where().line});
  }
  return rows;
}

/// Reads until the reader throws; the message, or "(no error)".
std::string error_of(const std::string& text) {
  auto reader = csv(text);
  try {
    while (reader->next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CsvReader, ReadsHeaderAndRowsAsStrings) {
  auto reader = csv("id,question,label\n1,What is 2+2?,4\n2,Capital of France?,Paris\n");
  EXPECT_EQ(reader->next(), json({{"id", "1"}, {"question", "What is 2+2?"}, {"label", "4"}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.csv:2");
  EXPECT_EQ(reader->next(),
            json({{"id", "2"}, {"question", "Capital of France?"}, {"label", "Paris"}}));
  EXPECT_EQ(reader->where().to_string(), "datasets/qa.csv:3");
  EXPECT_EQ(reader->next(), std::nullopt);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(CsvReader, KeepsSpacesAndEmptyFields) {
  EXPECT_EQ(read_all("a,b,c\n x , y ,\n,,\n"),
            (std::vector<Row>{{{{"a", " x "}, {"b", " y "}, {"c", ""}}, 2},
                              {{{"a", ""}, {"b", ""}, {"c", ""}}, 3}}));
}

TEST(CsvReader, ParsesQuotedCommasAndDoubledQuotes) {
  EXPECT_EQ(read_all("text,label\n\"a, b\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n"),
            (std::vector<Row>{{{{"text", "a, b"}, {"label", "say \"hi\""}}, 2},
                              {{{"text", ""}, {"label", "\""}}, 3}}));
}

TEST(CsvReader, ParsesEmbeddedNewlinesAndCountsTheirLines) {
  EXPECT_EQ(read_all("id,text\n"
                     "1,\"two\nlines\"\n"
                     "2,\"crlf\r\ninside\"\r\n"
                     "3,\"\n\n\"\n"
                     "4,after\n"),
            (std::vector<Row>{{{{"id", "1"}, {"text", "two\nlines"}}, 2},
                              {{{"id", "2"}, {"text", "crlf\r\ninside"}}, 4},
                              {{{"id", "3"}, {"text", "\n\n"}}, 6},
                              {{{"id", "4"}, {"text", "after"}}, 9}}));
}

TEST(CsvReader, SkipsByteOrderMarkBeforeTheFirstHeader) {
  EXPECT_EQ(read_all("\xEF\xBB\xBFid,text\n1,x\n"),
            (std::vector<Row>{{{{"id", "1"}, {"text", "x"}}, 2}}));
  EXPECT_EQ(read_all("\xEF\xBB\xBF\"id\",text\n1,x\n"),
            (std::vector<Row>{{{{"id", "1"}, {"text", "x"}}, 2}}));
}

TEST(CsvReader, AcceptsCrlfLoneCrAndNoFinalNewline) {
  const std::vector<Row> expected{{{{"a", "1"}, {"b", "2"}}, 2}, {{{"a", "3"}, {"b", "4"}}, 3}};
  EXPECT_EQ(read_all("a,b\r\n1,2\r\n3,4\r\n"), expected);
  EXPECT_EQ(read_all("a,b\r1,2\r3,4\r"), expected);
  EXPECT_EQ(read_all("a,b\n1,2\n3,4"), expected);
  EXPECT_EQ(read_all("a,b\n1,2\n3,\"4\""), expected);
}

// An empty line has no fields, and is skipped; in a one-column file an empty value is "".
TEST(CsvReader, SkipsEmptyLinesButKeepsQuotedEmptyValue) {
  EXPECT_EQ(read_all("\na,b\n\n1,2\r\n\r\n3,4\n\n"),
            (std::vector<Row>{{{{"a", "1"}, {"b", "2"}}, 4}, {{{"a", "3"}, {"b", "4"}}, 6}}));
  EXPECT_EQ(read_all("text\n\"\"\n\nx\n"),
            (std::vector<Row>{{{{"text", ""}}, 2}, {{{"text", "x"}}, 4}}));
}

TEST(CsvReader, HeaderOnlyOrEmptyFileHasNoRows) {
  EXPECT_EQ(read_all("a,b\n"), std::vector<Row>{});
  EXPECT_EQ(read_all(""), std::vector<Row>{});
  EXPECT_EQ(read_all("\n\r\n"), std::vector<Row>{});
}

TEST(CsvReader, ReportsFieldCountMismatchAtTheLineTheRowStarts) {
  EXPECT_EQ(error_of("id,text\n1,\"multi\nline\r\nfield\"\n2,x,extra\n"),
            "datasets/qa.csv:5: expected 2 fields (as in the header), got 3");
  EXPECT_EQ(error_of("id,text\n1,x\n\n2\n"),
            "datasets/qa.csv:4: expected 2 fields (as in the header), got 1");
  EXPECT_EQ(error_of("id,text\n1,\"starts here\nends here\",3\n"),
            "datasets/qa.csv:2: expected 2 fields (as in the header), got 3");
}

TEST(CsvReader, ReturnsRowsBeforeTheBadOneThenStops) {
  auto reader = csv("a,b\n1,2\n3\n");
  EXPECT_EQ(reader->next(), json({{"a", "1"}, {"b", "2"}}));
  EXPECT_THROW((void)reader->next(), UserError);
  EXPECT_EQ(reader->next(), std::nullopt);
}

TEST(CsvReader, ReportsQuoteInsideUnquotedField) {
  EXPECT_EQ(error_of("a,b\n1,x\"y\"\n"),
            "datasets/qa.csv:2: malformed CSV: quote inside an unquoted field "
            "(quote the whole field and double the quote)");
  // RFC 4180 has no spaces around separators: a space before the quote starts the field.
  EXPECT_EQ(error_of("a,b\n1, \"y\"\n"),
            "datasets/qa.csv:2: malformed CSV: quote inside an unquoted field "
            "(quote the whole field and double the quote)");
}

TEST(CsvReader, ReportsTextAfterClosingQuoteAtItsLine) {
  EXPECT_EQ(error_of("a,b\n1,\"x\ny\"z\n"),
            "datasets/qa.csv:3: malformed CSV: unexpected 'z' after a closing quote "
            "(expected ',' or a line end)");
}

TEST(CsvReader, ReportsQuoteNotClosedAtEndOfFile) {
  EXPECT_EQ(error_of("a,b\n1,2\n3,\"never\nclosed\n"),
            "datasets/qa.csv:3: malformed CSV: quoted field not closed before the end of the file");
}

TEST(CsvReader, ReportsEmptyColumnName) {
  EXPECT_EQ(error_of("id,,label\n1,2,3\n"),
            "datasets/qa.csv:1: empty column name in the header (column 2)");
}

TEST(CsvReader, ReportsDuplicateColumnName) {
  EXPECT_EQ(error_of("id,text,id\n1,2,3\n"),
            "datasets/qa.csv:1: duplicate column name \"id\" in the header (columns 1 and 3)");
}

TEST(CsvReader, ReportsInvalidUtf8) {
  EXPECT_EQ(error_of("id,text\n1,ok\n2,caf\xE9\n"),
            "datasets/qa.csv:3: invalid UTF-8 in column \"text\"");
  EXPECT_EQ(error_of("id,\xFF\n"), "datasets/qa.csv:1: invalid UTF-8 in the header (column 2)");
}

TEST(CsvReader, HandlesLineEndingsSplitAcrossReadBuffers) {
  // The reader reads 64 KiB at a time; put CR LF pairs and quoted newlines on every offset.
  std::string text = "id,text\r\n";
  std::size_t line = 2;
  std::vector<Row> expected;
  for (int i = 0; text.size() < 3 * 64 * 1024; ++i) {
    const bool multi_line = i % 3 == 0;
    const std::string value =
        multi_line ? "a\r\nb" : std::string(static_cast<std::size_t>(i % 7), 'x');
    text += std::to_string(i) + (multi_line ? ",\"a\r\nb\"\r\n" : "," + value + "\r\n");
    expected.push_back({{{"id", std::to_string(i)}, {"text", value}}, line});
    line += multi_line ? 2 : 1;
  }
  EXPECT_EQ(read_all(text), expected);
}

TEST(CsvReader, KeepsBracketsAsTextAtAnyLength) {
  // CSV values are strings: 20,000 brackets nest nothing.
  const std::string brackets(20'000, '[');
  EXPECT_EQ(read_all("q,a\n" + brackets + ",x\n"),
            (std::vector<Row>{{json({{"q", brackets}, {"a", "x"}}), 2}}));
}

}  // namespace
}  // namespace promptbench
