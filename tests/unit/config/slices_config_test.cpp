// SPDX-License-Identifier: Apache-2.0
// The config keys of slices -- slices, slice_min_cases, a gate's slice -- and the located
// message for each mistake.
#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace slices_config_test {
namespace {

class SliceSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("data.jsonl",
                "{\"id\": \"1\", \"q\": \"hi\", \"a\": \"x\", \"language\": \"de\"}\n");
  }

  std::string error_of(const std::string& extra) {
    try {
      (void)load(extra);
    } catch (const UserError& e) {
      return std::string(e.what()).substr(m_dir.path().string().size() + 1);
    }
    return "";
  }

  Config load(const std::string& extra) {
    return load_config(m_dir.write("cfg.yaml", kBase + extra));
  }

  // Lines 1-6; whatever a test adds starts on line 7.
  static constexpr const char* kBase = R"(providers:
  - {id: local, base_url: "http://127.0.0.1:9/v1", model: m}
prompts:
  - {id: terse, template: "Q: {{q}}"}
dataset: {path: data.jsonl, reference: a}
metrics: [exact_match]
)";

  testing::ScratchDir m_dir;
};

TEST_F(SliceSettings, DefaultsToNoSlicesAndThirtyCases) {
  const Config config = load("");
  EXPECT_TRUE(config.slices.fields.empty());
  EXPECT_EQ(config.slices.min_cases, 30u);
}

TEST_F(SliceSettings, ReadsFieldsTheMinimumAndGateSlices) {
  const Config config = load(R"(slices: [language, topic]
slice_min_cases: 12
gates:
  - {metric: exact_match, min: 0.5, slice: {language: de}}
  - {metric: exact_match, min: 0.5, slice: {topic: 3}}
  - {metric: exact_match, min: 0.5, slice: {topic: each}}
  - {metric: exact_match, min: 0.5, slice: each}
  - {metric: exact_match, min: 0.5}
)");
  EXPECT_EQ(config.slices.fields, (std::vector<std::string>{"language", "topic"}));
  EXPECT_EQ(config.slices.min_cases, 12u);
  EXPECT_EQ(config.slices.where.line, 7u);
  ASSERT_EQ(config.gates.size(), 5u);
  EXPECT_EQ(config.gates[0].slice, (GateSlice{"language", "de", false}));
  EXPECT_EQ(config.gates[1].slice, (GateSlice{"topic", "3", false}));
  EXPECT_EQ(config.gates[2].slice, (GateSlice{"topic", "", true}));
  EXPECT_EQ(config.gates[3].slice, (GateSlice{"", "", true}));
  EXPECT_FALSE(config.gates[4].slice.has_value());
}

TEST_F(SliceSettings, NamesEachMistakeWhereItIs) {
  EXPECT_EQ(error_of("slices: [language, language]\n"),
            "cfg.yaml:7:20: slices[1]: slice field 'language' is listed twice");
  EXPECT_EQ(error_of("slice_min_cases: 0\n").substr(0, 28), "cfg.yaml:7:18: slice_min_cas");
  EXPECT_EQ(error_of("gates: [{metric: exact_match, min: 1, slice: each}]\n"),
            "cfg.yaml:7:46: gates[0].slice: a gate's slice needs 'slices:' in the config (the "
            "dataset fields to slice by)");
  EXPECT_EQ(error_of("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: {topic: "
                     "x}}]\n"),
            "cfg.yaml:8:47: gates[0].slice.topic: 'topic' is not among 'slices' (language)");
  EXPECT_EQ(error_of("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: all}]\n"),
            "cfg.yaml:8:46: gates[0].slice: expected 'each' or a mapping like {language: VALUE}, "
            "got 'all'");
  EXPECT_EQ(error_of("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: "
                     "{language: [de]}}]\n"),
            "cfg.yaml:8:57: gates[0].slice.language: expected a slice value (a string, number or "
            "boolean) or 'each'");
}

}  // namespace
}  // namespace slices_config_test
}  // namespace promptbench
