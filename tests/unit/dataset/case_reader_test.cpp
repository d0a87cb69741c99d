// SPDX-License-Identifier: Apache-2.0
// CaseReader: the reference and id fields, row numbers as ids, and the exact error messages.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "promptbench/dataset.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

DatasetConfig config_with(const std::string& reference, const std::string& id = "") {
  DatasetConfig config;
  config.display_path = "datasets/qa.jsonl";
  config.reference = reference;
  config.id = id;
  return config;
}

CaseReader cases(const std::string& jsonl, const DatasetConfig& config) {
  return CaseReader(
      make_jsonl_reader(std::make_unique<std::istringstream>(jsonl), config.display_path), config);
}

/// Reads until the reader throws; the message, or "(no error)".
std::string error_of(const std::string& jsonl, const DatasetConfig& config) {
  CaseReader reader = cases(jsonl, config);
  try {
    while (reader.next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CaseReader, TakesReferenceFromTheConfiguredField) {
  CaseReader reader =
      cases("{\"q\": \"a\", \"label\": \"x\"}\n\n{\"q\": \"b\", \"label\": \"y\"}\n",
            config_with("label"));
  std::optional<Case> first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->index, 0U);
  EXPECT_EQ(first->id, "1");
  EXPECT_EQ(first->vars, json({{"q", "a"}, {"label", "x"}}));
  EXPECT_EQ(first->reference, "x");
  EXPECT_EQ(first->where.to_string(), "datasets/qa.jsonl:1");
  std::optional<Case> second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->index, 1U);
  EXPECT_EQ(second->id, "2");  // the row number, not the line number
  EXPECT_EQ(second->reference, "y");
  EXPECT_EQ(second->where.to_string(), "datasets/qa.jsonl:3");
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_EQ(reader.next(), std::nullopt);
}

TEST(CaseReader, AcceptsAnyJsonButNullAsReference) {
  CaseReader reader = cases(
      "{\"reference\": [\"a\", \"b\"]}\n{\"reference\": 3.5}\n"
      "{\"reference\": {\"k\": true}}\n",
      config_with("reference"));
  EXPECT_EQ(reader.next()->reference, json({"a", "b"}));
  EXPECT_EQ(reader.next()->reference, json(3.5));
  EXPECT_EQ(reader.next()->reference, json({{"k", true}}));
}

TEST(CaseReader, ReportsANullReferenceWithItsRowAndField) {
  EXPECT_EQ(error_of("{\"label\": \"x\"}\n{\"label\": null}\n", config_with("label")),
            "datasets/qa.jsonl:2: reference field \"label\" is null (expected a string or a list "
            "of strings)");
}

TEST(CaseReader, ReportsMissingReferenceField) {
  EXPECT_EQ(error_of("{\"label\": \"x\"}\n{\"lable\": \"y\"}\n", config_with("label")),
            "datasets/qa.jsonl:2: missing reference field \"label\"");
}

TEST(CaseReader, UsesTheIdFieldWhenConfigured) {
  CaseReader reader = cases(
      "{\"id\": \"q-1\", \"label\": \"x\"}\n{\"id\": 17, \"label\": \"y\"}\n"
      "{\"id\": 2.5, \"label\": \"z\"}\n",
      config_with("label", "id"));
  EXPECT_EQ(reader.next()->id, "q-1");
  EXPECT_EQ(reader.next()->id, "17");
  EXPECT_EQ(reader.next()->id, "2.5");
}

TEST(CaseReader, ReportsMissingIdField) {
  EXPECT_EQ(error_of("{\"id\": \"a\", \"label\": \"x\"}\n{\"label\": \"y\"}\n",
                     config_with("label", "id")),
            "datasets/qa.jsonl:2: missing id field \"id\"");
}

TEST(CaseReader, ReportsEmptyId) {
  EXPECT_EQ(error_of("{\"id\": \"\", \"label\": \"x\"}\n", config_with("label", "id")),
            "datasets/qa.jsonl:1: empty id field \"id\"");
}

TEST(CaseReader, ReportsIdThatIsNeitherStringNorNumber) {
  EXPECT_EQ(error_of("{\"id\": true, \"label\": \"x\"}\n", config_with("label", "id")),
            "datasets/qa.jsonl:1: id field \"id\" must be a string or a number, got boolean");
  EXPECT_EQ(error_of("{\"id\": null, \"label\": \"x\"}\n", config_with("label", "id")),
            "datasets/qa.jsonl:1: id field \"id\" must be a string or a number, got null");
}

TEST(CaseReader, OpensTheDatasetTheConfigNames) {
  DatasetConfig config = config_with("label", "id");
  config.path = std::filesystem::path(PROMPTBENCH_TEST_DATA_DIR) / "datasets" / "qa.csv";
  config.display_path = "datasets/qa.csv";
  CaseReader reader(config);
  std::vector<std::string> ids;
  std::vector<std::size_t> lines;
  while (std::optional<Case> next = reader.next()) {
    ids.push_back(next->id);
    lines.push_back(next->where.line);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"q1", "q2", "q3"}));
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3, 4}));
}

}  // namespace
}  // namespace promptbench
