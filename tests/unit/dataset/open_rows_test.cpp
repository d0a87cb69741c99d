// SPDX-License-Identifier: Apache-2.0
// open_rows: choosing the format, opening the file, and streaming large files through.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "promptbench/dataset.hpp"

namespace promptbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path data_dir = fs::path(PROMPTBENCH_TEST_DATA_DIR) / "datasets";

/// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "promptbench-dataset-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }

  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(m_path / name, std::ios::binary) << text;
    return m_path / name;
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

DatasetConfig config_for(const fs::path& path, const std::string& display_path = "") {
  DatasetConfig config;
  config.path = path;
  config.display_path = display_path;
  return config;
}

std::string open_error(const DatasetConfig& config) {
  try {
    (void)open_rows(config);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<json> read_all(RowReader& reader) {
  std::vector<json> rows;
  while (auto row = reader.next()) {
    rows.push_back(std::move(*row));
  }
  return rows;
}

TEST(OpenRows, ReadsTheSameRowsFromEachFormat) {
  const std::vector<json> expected{
      {{"id", "q1"}, {"question", "What is 2 + 2?"}, {"label", "4"}},
      {{"id", "q2"}, {"question", "Capital of France, in one word?"}, {"label", "Paris"}},
      {{"id", "q3"}, {"question", "Say \"hi\"\nthen stop."}, {"label", "hi"}},
  };
  for (const char* name : {"qa.jsonl", "qa.json", "qa.csv"}) {
    SCOPED_TRACE(name);
    auto reader = open_rows(config_for(data_dir / name, std::string("datasets/") + name));
    EXPECT_EQ(read_all(*reader), expected);
    EXPECT_EQ(reader->where().file, std::string("datasets/") + name);
  }
}

TEST(OpenRows, ConfiguredFormatWinsOverTheExtension) {
  const TempDir dir;
  DatasetConfig config = config_for(dir.write("rows.txt", "{\"a\": 1}\n"), "rows.txt");
  config.format = "jsonl";
  auto reader = open_rows(config);
  EXPECT_EQ(read_all(*reader), std::vector<json>{json({{"a", 1}})});
}

TEST(OpenRows, RecognisesExtensionsWhateverTheirCase) {
  const TempDir dir;
  EXPECT_EQ(read_all(*open_rows(config_for(dir.write("a.CSV", "x\n1\n")))),
            std::vector<json>{json({{"x", "1"}})});
  EXPECT_EQ(read_all(*open_rows(config_for(dir.write("b.ndjson", "{\"x\": 1}\n")))),
            std::vector<json>{json({{"x", 1}})});
  EXPECT_EQ(read_all(*open_rows(config_for(dir.write("c.Json", "[{\"x\": 1}]")))),
            std::vector<json>{json({{"x", 1}})});
}

TEST(OpenRows, ReportsUnknownExtension) {
  const TempDir dir;
  EXPECT_EQ(open_error(config_for(dir.write("rows.txt", ""), "datasets/rows.txt")),
            "datasets/rows.txt: dataset.format: unknown dataset format '.txt' "
            "(expected .jsonl, .json or .csv)");
  EXPECT_EQ(open_error(config_for(dir.write("rows", ""), "datasets/rows")),
            "datasets/rows: dataset.format: no file extension to tell the dataset format by "
            "(expected .jsonl, .json or .csv)");
}

TEST(OpenRows, ReportsUnknownConfiguredFormatAtTheConfig) {
  DatasetConfig config = config_for("rows.xml", "rows.xml");
  config.format = "xml";
  config.where = SourceLocation{"eval.yaml", 12, 3};
  EXPECT_EQ(open_error(config),
            "eval.yaml:12:3: dataset.format: unknown dataset format 'xml' "
            "(expected jsonl, json or csv)");
}

TEST(OpenRows, ReportsMissingFile) {
  const TempDir dir;
  EXPECT_EQ(open_error(config_for(dir.path() / "missing.jsonl", "datasets/missing.jsonl")),
            "datasets/missing.jsonl: cannot open dataset: No such file or directory");
}

TEST(OpenRows, ReportsDirectory) {
  const TempDir dir;
  fs::create_directory(dir.path() / "rows.csv");
  EXPECT_EQ(open_error(config_for(dir.path() / "rows.csv", "rows.csv")),
            "rows.csv: cannot open dataset: Is a directory");
}

TEST(OpenRows, NamesThePathWhenThereIsNoDisplayPath) {
  const TempDir dir;
  const fs::path path = dir.path() / "missing.csv";
  EXPECT_EQ(open_error(config_for(path)),
            path.string() + ": cannot open dataset: No such file or directory");
  auto reader = open_rows(config_for(dir.write("rows.jsonl", "{\"a\": 1}\n")));
  (void)reader->next();
  EXPECT_EQ(reader->where().file, (dir.path() / "rows.jsonl").string());
}

// Streaming: memory cannot be measured here, so these check that a file far larger than any
// read buffer comes through whole, row count and last row included.
constexpr int large_row_count = 200'000;

TEST(OpenRows, StreamsLargeJsonlFile) {
  const TempDir dir;
  const fs::path path = dir.path() / "large.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 1; i <= large_row_count; ++i) {
      out << R"({"id": )" << i << R"(, "text": "row number )" << i << R"(", "label": "x"})" << '\n';
    }
  }
  auto reader = open_rows(config_for(path, "large.jsonl"));
  int count = 0;
  json last;
  while (auto row = reader->next()) {
    ++count;
    last = std::move(*row);
  }
  EXPECT_EQ(count, large_row_count);
  EXPECT_EQ(last, json({{"id", large_row_count},
                        {"text", "row number " + std::to_string(large_row_count)},
                        {"label", "x"}}));
  EXPECT_EQ(reader->where().line, static_cast<std::size_t>(large_row_count));
}

TEST(OpenRows, StreamsLargeJsonArrayFile) {
  const TempDir dir;
  const fs::path path = dir.path() / "large.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << "[\n";
    for (int i = 1; i <= large_row_count; ++i) {
      out << (i > 1 ? ",\n" : "") << R"(  {"id": )" << i << R"(, "text": "[{,\"}]"})";
    }
    out << "\n]\n";
  }
  auto reader = open_rows(config_for(path, "large.json"));
  int count = 0;
  json last;
  while (auto row = reader->next()) {
    ++count;
    last = std::move(*row);
  }
  EXPECT_EQ(count, large_row_count);
  EXPECT_EQ(last, json({{"id", large_row_count}, {"text", "[{,\"}]"}}));
  EXPECT_EQ(reader->where().line, static_cast<std::size_t>(large_row_count + 1));
}

TEST(OpenRows, StreamsLargeCsvFile) {
  const TempDir dir;
  const fs::path path = dir.path() / "large.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,text,label\r\n";
    for (int i = 1; i <= large_row_count; ++i) {
      out << i << ",\"row, \"\"number\"\"\r\n" << i << "\",x\r\n";
    }
  }
  auto reader = open_rows(config_for(path, "large.csv"));
  int count = 0;
  json last;
  while (auto row = reader->next()) {
    ++count;
    last = std::move(*row);
  }
  EXPECT_EQ(count, large_row_count);
  EXPECT_EQ(last, json({{"id", std::to_string(large_row_count)},
                        {"text", "row, \"number\"\r\n" + std::to_string(large_row_count)},
                        {"label", "x"}}));
  EXPECT_EQ(reader->where().line, static_cast<std::size_t>(2 * large_row_count));
}

}  // namespace
}  // namespace promptbench
