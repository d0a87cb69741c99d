// SPDX-License-Identifier: Apache-2.0
// A metric's own reference field (`reference: FIELD`): every metric takes it, the config
// loader checks it at its location and hands it to the dataset reader, which refuses a row
// lacking it, naming the case, the metric and the field.
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/metric.hpp"
#include "unit/metric/scoring.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_config;
using testing::metric_named;
using testing::param_error;

/// What a metric needs besides `reference` to be built at all.
json required_params(const std::string& metric, const testing::ScratchDir& dir) {
  static const std::map<std::string, json> required = {
      {"regex", {{"pattern", "x"}}},
      {"command", {{"run", "true"}}},
      {"llm_judge", {{"judge", "grader"}, {"rubric", "{{output}} vs {{reference}}"}}}};
  if (metric == "json_schema") {
    return {{"schema", dir.write("schema.json", "{}").string()}};
  }
  const auto found = required.find(metric);
  return found == required.end() ? json::object() : found->second;
}

TEST(MetricReference, EveryRegisteredMetricTakesAReferenceField) {
  const testing::ScratchDir dir;
  for (const MetricInfo& info : metric_registry()) {
    json params = required_params(info.name, dir);
    EXPECT_EQ(metric_named(info.name, params)->reference_field(), "") << info.name;
    params["reference"] = "keywords";
    EXPECT_EQ(metric_named(info.name, params)->reference_field(), "keywords") << info.name;
  }
}

TEST(MetricReference, RejectsAReferenceThatNamesNoField) {
  EXPECT_EQ(param_error("contains", {{"reference", 3}}),
            "reference: expected a dataset field's name (a string), got number");
  EXPECT_EQ(param_error("contains", {{"reference", true}}),
            "reference: expected a dataset field's name (a string), got boolean");
  EXPECT_EQ(param_error("contains", {{"reference", json::array({"a"})}}),
            "reference: expected a dataset field's name (a string), got list");
  EXPECT_EQ(param_error("contains", {{"reference", nullptr}}),
            "reference: expected a dataset field's name (a string), got null");
  EXPECT_EQ(param_error("contains", {{"reference", ""}}),
            "reference: expected a dataset field's name, got an empty string");
}

TEST(MetricReference, ReadsTheFieldFromTheConfiguredParameters) {
  EXPECT_EQ(metric_reference_field(metric_config("numeric", {{"reference", "n"}})), "n");
  EXPECT_EQ(metric_reference_field(metric_config("numeric", json::object())), "");
  EXPECT_EQ(metric_reference_field(metric_config("latency", nullptr)), "");
}

class MetricReferenceConfig : public ::testing::Test {
 protected:
  Config load(const std::string& metrics) {
    m_dir.write("data.jsonl", "{\"q\": \"x\", \"label\": \"x\"}\n");
    return load_config(
        m_dir.write("cfg.yaml", R"(providers: [{id: p, base_url: "http://127.0.0.1:9/v1", model: m}]
prompts: [{id: t, template: "{{q}}"}]
dataset: {path: data.jsonl, reference: label}
metrics:
)" + metrics));
  }

  std::string error_of(const std::string& metrics) {
    try {
      (void)load(metrics);
    } catch (const UserError& e) {
      return e.what();
    }
    return "(no error)";
  }

  testing::ScratchDir m_dir;
};

TEST_F(MetricReferenceConfig, TellsTheDatasetReaderWhichFieldsEachMetricReads) {
  const Config config = load(
      "  - exact_match\n  - contains: {reference: keywords}\n"
      "  - numeric: {reference: n, name: count}\n");
  ASSERT_EQ(config.dataset.metric_references.size(), 2u);
  EXPECT_EQ(config.dataset.metric_references[0].metric, "contains");
  EXPECT_EQ(config.dataset.metric_references[0].field, "keywords");
  EXPECT_EQ(config.dataset.metric_references[1].metric, "count");  // the report name
  EXPECT_EQ(config.dataset.metric_references[1].field, "n");
}

TEST_F(MetricReferenceConfig, LocatesABadReference) {
  const std::string path = (m_dir.path() / "cfg.yaml").string();
  EXPECT_EQ(error_of("  - contains: {reference: 42}\n"),
            path +
                ":5:16: metrics[0].contains.reference: expected a dataset field's name (a "
                "string), got number");
  EXPECT_EQ(error_of("  - exact_match:\n      reference: \"\"\n"),
            path +
                ":6:7: metrics[0].exact_match.reference: expected a dataset field's name, got "
                "an empty string");
}

DatasetConfig dataset_with_references() {
  DatasetConfig config;
  config.display_path = "datasets/qa.jsonl";
  config.reference = "label";
  config.id = "id";
  config.metric_references = {{"contains", "keywords"}, {"count", "n"}};
  return config;
}

/// Reads every row; the first error's message, or "(no error)".
std::string read_error(const std::string& jsonl) {
  const DatasetConfig config = dataset_with_references();
  CaseReader reader(
      make_jsonl_reader(std::make_unique<std::istringstream>(jsonl), config.display_path), config);
  try {
    while (reader.next()) {
    }
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MetricReferenceRows, AcceptRowsHoldingEveryField) {
  EXPECT_EQ(read_error(R"({"id": "a", "label": "x", "keywords": ["x"], "n": 3})"
                       "\n"
                       R"({"id": "b", "label": "y", "keywords": "y", "n": "4"})"
                       "\n"),
            "(no error)");
}

TEST(MetricReferenceRows, NameTheCaseTheMetricAndTheMissingField) {
  EXPECT_EQ(read_error(R"({"id": "a", "label": "x", "keywords": ["x"], "n": 3})"
                       "\n"
                       R"({"id": "b", "label": "y", "n": 4})"
                       "\n"),
            "datasets/qa.jsonl:2: case 'b': missing field \"keywords\", the reference of metric "
            "'contains'");
}

TEST(MetricReferenceRows, RefuseANullField) {
  EXPECT_EQ(read_error(R"({"id": "a", "label": "x", "keywords": "x", "n": null})"
                       "\n"),
            "datasets/qa.jsonl:1: case 'a': field \"n\", the reference of metric 'count', is null");
}

TEST(MetricReferenceRows, CheckTheDatasetsOwnReferenceFirst) {
  EXPECT_EQ(read_error(R"({"id": "a", "keywords": "x"})"
                       "\n"),
            "datasets/qa.jsonl:1: missing reference field \"label\"");
}

}  // namespace
}  // namespace promptbench
