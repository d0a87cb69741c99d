// SPDX-License-Identifier: Apache-2.0
// dataset.max_row_bytes: a row longer than the limit is a located error in every format,
// thrown before the reader holds much more than the limit, and the config key that sets it.
#include <algorithm>
#include <sstream>
#include <streambuf>
#include <string>

#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace row_limit_test {
namespace {

using nlohmann::json;
using Factory = std::unique_ptr<RowReader> (*)(std::unique_ptr<std::istream>, std::string,
                                               std::size_t);

/// Reads `text` to its end; the message of the error that stopped it, or "(no error)".
std::string error_of(Factory make, const std::string& text, std::size_t limit,
                     const std::string& file) {
  auto reader = make(std::make_unique<std::istringstream>(text), file, limit);
  try {
    while (reader->next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

/// Rows read from `text`, or the error: for a row exactly at the limit.
std::size_t rows_of(Factory make, const std::string& text, std::size_t limit) {
  auto reader = make(std::make_unique<std::istringstream>(text), "d", limit);
  std::size_t rows = 0;
  while (reader->next()) {
    ++rows;
  }
  return rows;
}

/// `{"a": "xxx"}` of exactly `bytes` bytes.
std::string object_of(std::size_t bytes) {
  return "{\"a\": \"" + std::string(bytes - 9, 'x') + "\"}";
}

TEST(RowLimit, JsonlRefusesALongLineAtItsLine) {
  const std::string text = object_of(20) + "\n" + object_of(101) + "\n" + object_of(20) + "\n";
  EXPECT_EQ(error_of(make_jsonl_reader, text, 100, "data.jsonl"),
            "data.jsonl:2: row is larger than max_row_bytes, 100 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
}

TEST(RowLimit, JsonlTakesARowOfExactlyTheLimitWithAnyLineEnd) {
  EXPECT_EQ(rows_of(make_jsonl_reader, object_of(100) + "\n" + object_of(100), 100), 2U);
  EXPECT_EQ(rows_of(make_jsonl_reader, object_of(100) + "\r\n" + object_of(100) + "\r\n", 100), 2U);
  EXPECT_EQ(rows_of(make_jsonl_reader, "\xEF\xBB\xBF" + object_of(100) + "\n", 100), 1U);
}

TEST(RowLimit, JsonlCountsALongBlankLineToo) {
  const std::string text = object_of(20) + "\n\n" + std::string(5000, ' ') + "\n";
  EXPECT_EQ(error_of(make_jsonl_reader, text, 1024, "d.jsonl"),
            "d.jsonl:3: row is larger than max_row_bytes, 1 KiB (1024 bytes); raise "
            "dataset.max_row_bytes in the config to read it");
}

TEST(RowLimit, JsonArrayRefusesALongElementAtTheLineItStarts) {
  const std::string text = "[\n  " + object_of(20) + ",\n  " + object_of(30) + ",\n  {\"a\":\n\"" +
                           std::string(200, 'x') + "\"}\n]\n";
  EXPECT_EQ(error_of(make_json_array_reader, text, 100, "data.json"),
            "data.json:4: row is larger than max_row_bytes, 100 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
  EXPECT_EQ(rows_of(make_json_array_reader, "[" + object_of(100) + "," + object_of(100) + "]", 100),
            2U);
}

TEST(RowLimit, JsonArrayRefusesALongScalarElement) {
  // Not an object, but it is read before that is known: the size ends it first.
  EXPECT_EQ(error_of(make_json_array_reader, "[" + std::string(500, '1') + "]", 100, "n.json"),
            "n.json:1: row is larger than max_row_bytes, 100 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
}

TEST(RowLimit, CsvRefusesALongRowAndALongHeader) {
  const std::string long_row = "q,label\na,b\n" + std::string(150, 'x') + ",y\nc,d\n";
  EXPECT_EQ(error_of(make_csv_reader, long_row, 100, "data.csv"),
            "data.csv:3: row is larger than max_row_bytes, 100 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
  EXPECT_EQ(error_of(make_csv_reader, std::string(150, 'h') + ",label\na,b\n", 100, "h.csv"),
            "h.csv:1: row is larger than max_row_bytes, 100 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
}

TEST(RowLimit, CsvCountsTheLinesOfAQuotedFieldAndNotTheLastLineEnd) {
  // Row 2 spans lines 2-4; its 100 bytes include the two line ends inside the quotes.
  const std::string field = "\"" + std::string(40, 'x') + "\n" + std::string(40, 'y') + "\r\n" +
                            std::string(13, 'z') + "\"";  // 1 + 41 + 42 + 14 = 98 bytes
  ASSERT_EQ(field.size() + 2, 100U);
  const std::string text = "q,label\n" + field + ",b\r\nc,d\n";
  EXPECT_EQ(rows_of(make_csv_reader, text, 100), 2U);
  EXPECT_EQ(error_of(make_csv_reader, text, 99, "q.csv"),
            "q.csv:2: row is larger than max_row_bytes, 99 bytes; raise "
            "dataset.max_row_bytes in the config to read it");
}

/// A stream of `size` bytes that are made up as they are read: a header line, then one row
/// without an end. It counts what it handed out, so a test can tell how much a reader took.
class EndlessRow final : public std::streambuf {
 public:
  EndlessRow(std::string head, char filler, std::size_t size)
      : m_head(std::move(head)), m_filler(filler), m_size(size), m_chunk(4096, filler) {}
  [[nodiscard]] std::size_t handed_out() const { return m_handed_out; }

 protected:
  int_type underflow() override {
    if (m_handed_out >= m_size) {
      return traits_type::eof();
    }
    std::string& chunk = m_handed_out == 0 ? m_head : m_chunk;
    const std::size_t length = std::min(chunk.size(), m_size - m_handed_out);
    setg(chunk.data(), chunk.data(), chunk.data() + length);
    m_handed_out += length;
    return traits_type::to_int_type(chunk[0]);
  }

 private:
  std::string m_head;
  char m_filler;
  std::size_t m_size;
  std::string m_chunk;
  std::size_t m_handed_out = 0;
};

struct EndlessCase {
  const char* name;
  Factory make;
  std::string head;
  char filler;
};

class RowLimitEndless : public ::testing::TestWithParam<EndlessCase> {};

// A 4 GiB row against a 1 MiB limit: the reader stops after about the limit (one read
// buffer more at most); a reader that buffered the row first would take minutes and 4 GiB.
TEST_P(RowLimitEndless, StopsReadingSoonAfterTheLimit) {
  const EndlessCase& c = GetParam();
  constexpr std::size_t kLimit = std::size_t{1} << 20;
  auto source = std::make_unique<EndlessRow>(c.head, c.filler, std::size_t{4} << 30);
  const EndlessRow& counter = *source;
  auto in = std::make_unique<std::istream>(source.get());
  auto reader = c.make(std::move(in), "big", kLimit);
  try {
    while (reader->next()) {
    }
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "big:2: row is larger than max_row_bytes, 1 MiB (1048576 bytes); raise "
              "dataset.max_row_bytes in the config to read it");
  }
  EXPECT_LT(counter.handed_out(), kLimit + (std::size_t{256} << 10));
  reader.reset();  // before the stream buffer it reads from
}

INSTANTIATE_TEST_SUITE_P(
    EveryFormat, RowLimitEndless,
    ::testing::Values(EndlessCase{"jsonl", make_jsonl_reader, "{\"a\": 1}\n{\"a\": \"", 'x'},
                      EndlessCase{"json", make_json_array_reader, "[{\"a\": 1},\n{\"a\": \"", 'x'},
                      EndlessCase{"csv", make_csv_reader, "a\n\"", 'x'}),
    [](const ::testing::TestParamInfo<EndlessCase>& info) { return std::string(info.param.name); });

class RowLimitConfig : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.write("data.jsonl", object_of(200) + "\n"); }

  Config load(const std::string& dataset) {
    return load_config(
        m_dir.write("cfg.yaml", R"(providers: [{id: p, base_url: "http://127.0.0.1:9/v1", model: m}]
prompts: [{id: a, template: "{{a}}"}]
)" + dataset + "\n"));
  }

  std::string error_of(const std::string& dataset) {
    try {
      (void)load(dataset);
    } catch (const UserError& e) {
      return std::string(e.what()).substr(m_dir.path().string().size() + 1);
    }
    return "(no error)";
  }

  testing::ScratchDir m_dir;
};

TEST_F(RowLimitConfig, DefaultsTo16MiBAndTakesASize) {
  EXPECT_EQ(load("dataset: data.jsonl").dataset.max_row_bytes, std::size_t{16} << 20);
  EXPECT_EQ(kDefaultMaxRowBytes, std::size_t{16} << 20);
  EXPECT_EQ(load("dataset: {path: data.jsonl, max_row_bytes: 64KiB}").dataset.max_row_bytes,
            std::size_t{64} << 10);
  EXPECT_EQ(load("dataset: {path: data.jsonl, max_row_bytes: 1000}").dataset.max_row_bytes, 1000U);
  EXPECT_EQ(error_of("dataset: {path: data.jsonl, max_row_bytes: 0}"),
            "cfg.yaml:3:44: dataset.max_row_bytes: expected a size like 16MiB, 512KiB or a number "
            "of bytes, got 0");
  EXPECT_EQ(error_of("dataset: {path: data.jsonl, max_row_bytes: lots}"),
            "cfg.yaml:3:44: dataset.max_row_bytes: expected a size like 16MiB, 512KiB or a number "
            "of bytes, got \"lots\"");
}

TEST_F(RowLimitConfig, TheLimitReachesTheReader) {
  const Config config = load("dataset: {path: data.jsonl, reference: a, max_row_bytes: 100}");
  CaseReader cases(config.dataset);
  try {
    (void)cases.next();
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()).substr(m_dir.path().string().size() + 1),
              "data.jsonl:1: row is larger than max_row_bytes, 100 bytes; raise "
              "dataset.max_row_bytes in the config to read it");
  }
  const Config roomy = load("dataset: {path: data.jsonl, reference: a, max_row_bytes: 200}");
  CaseReader fits(roomy.dataset);
  EXPECT_TRUE(fits.next().has_value());
}

}  // namespace
}  // namespace row_limit_test
}  // namespace promptbench
