// SPDX-License-Identifier: Apache-2.0
// Tests of the json_schema metric.
#include <atomic>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;

/// Writes `text` to a fresh file in the temp directory; removed by the destructor.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> counter{0};
    m_path = fs::temp_directory_path() / ("promptbench-json-schema-" + std::to_string(::getpid()) +
                                          "-" + std::to_string(counter++) + ".json");
    std::ofstream(m_path, std::ios::binary) << text;
  }
  ~TempFile() { fs::remove(m_path); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] std::string path() const { return m_path.string(); }

 private:
  fs::path m_path;
};

const std::string kSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["label", "confidence"],
  "properties": {
    "label": {"enum": ["positive", "negative"]},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1}
  }
})";

TEST(JsonSchema, ScoresOneForOutputThatValidates) {
  const TempFile schema(kSchema);
  const auto metric = metric_named("json_schema", {{"schema", schema.path()}});
  EXPECT_EQ(score_with(*metric, R"({"label": "positive", "confidence": 0.9})", nullptr)->value, 1);
  EXPECT_EQ(
      score_with(*metric, "```json\n{\"label\": \"negative\", \"confidence\": 1}\n```", nullptr)
          ->value,
      1);
}

TEST(JsonSchema, ScoresZeroForOutputThatDoesNotValidateOrIsNotJson) {
  const TempFile schema(kSchema);
  const auto metric = metric_named("json_schema", {{"schema", schema.path()}});
  EXPECT_EQ(score_with(*metric, R"({"label": "neutral", "confidence": 0.9})", nullptr)->value, 0);
  EXPECT_EQ(score_with(*metric, R"({"label": "positive", "confidence": 2})", nullptr)->value, 0);
  EXPECT_EQ(score_with(*metric, R"({"label": "positive"})", nullptr)->value, 0);
  EXPECT_EQ(score_with(*metric, "positive", nullptr)->value, 0);
  EXPECT_EQ(metric->threshold(), 1.0);
}

TEST(JsonSchema, RequiresTheSchemaParameter) {
  EXPECT_EQ(param_error("json_schema", json::object()),
            "schema: missing required parameter 'schema'");
}

TEST(JsonSchema, RejectsAMissingSchemaFile) {
  EXPECT_EQ(param_error("json_schema", {{"schema", "/nonexistent/schema.json"}}),
            "schema: cannot read the schema file '/nonexistent/schema.json'");
}

TEST(JsonSchema, RejectsASchemaFileThatIsNotJson) {
  const TempFile schema("{not json");
  EXPECT_EQ(param_error("json_schema", {{"schema", schema.path()}})
                .rfind("schema: '" + schema.path() + "' is not valid JSON: ", 0),
            0u);
}

TEST(JsonSchema, RejectsAnInvalidSchema) {
#if !defined(VALIJSON_USE_EXCEPTIONS) || !VALIJSON_USE_EXCEPTIONS
  // Without valijson's define in this binary, its inline error function (print and abort)
  // may replace the core's throwing one at link time: link the tests to `valijson`.
  GTEST_SKIP() << "the unit tests are not built with VALIJSON_USE_EXCEPTIONS=1";
#endif
  const TempFile schema(R"({"type": 12})");
  EXPECT_EQ(param_error("json_schema", {{"schema", schema.path()}})
                .rfind("schema: '" + schema.path() + "' is not a usable JSON Schema: ", 0),
            0u);
}

TEST(JsonSchema, RejectsAnUnknownParameter) {
  EXPECT_EQ(param_error("json_schema", {{"schema", "x.json"}, {"draft", 7}}),
            "draft: unknown parameter 'draft'");
}

}  // namespace
}  // namespace promptbench
