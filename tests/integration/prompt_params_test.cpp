// SPDX-License-Identifier: Apache-2.0
// A prompt's params merged over its provider's: two temperatures need one provider, and each
// variant's requests carry its own (checked in the bodies the stub received).
#include "support/harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace prompt_params_test {
namespace {

using nlohmann::json;

TEST(PromptParams, EachPromptsParamsAreMergedOverItsProvidersInTheRequestsItSends) {
  TempDir dir;
  const std::filesystem::path log = dir.path() / "requests.jsonl";
  StubServer stub({"--record-requests", log.string()});
  std::string rows;
  for (int i = 0; i < 4; ++i) {
    rows += json{{"id", "c" + std::to_string(i)},
                 {"text", "t" + std::to_string(i)},
                 {"label", "t" + std::to_string(i)}}
                .dump() +
            "\n";
  }
  dir.write("cases.jsonl", rows);
  dir.write("promptbench.yaml", R"(providers:
  - {id: stub, base_url: ")" + stub.base_url() +
                                    R"(", model: m, params: {temperature: 0, max_tokens: 16}}
prompts:
  - {id: cold, template: "{{text}}"}
  - {id: warm, template: "{{text}}", params: {temperature: 0.7, max_tokens: null}}
dataset: {path: cases.jsonl, reference: label, id: id}
metrics: [exact_match]
)");
  const ProcessResult result =
      promptbench(dir, {"eval", "-o", "report.json", "-q", "--cache", "cache.db"});
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::map<double, int> by_temperature;
  const std::vector<json> records = read_json_lines(log);
  ASSERT_EQ(records.size(), 8u) << "same text, other params: not one request shared";
  for (const json& record : records) {
    const json body = json::parse(record["body"].get<std::string>());
    const double temperature = body["temperature"].get<double>();
    ++by_temperature[temperature];
    if (temperature == 0) {
      EXPECT_EQ(body["max_tokens"], 16) << body.dump();
    } else {
      EXPECT_FALSE(body.contains("max_tokens")) << "null removes the provider's: " << body.dump();
    }
  }
  EXPECT_EQ(by_temperature, (std::map<double, int>{{0.0, 4}, {0.7, 4}}));

  const ProcessResult render =
      promptbench(dir, {"render", "--prompt", "warm", "--provider", "stub", "--case", "c1"});
  ASSERT_EQ(render.exit_code, 0) << render.err;
  const json rendered = json::parse(render.out);
  EXPECT_EQ(rendered["temperature"], 0.7);
  EXPECT_FALSE(rendered.contains("max_tokens"));
}

}  // namespace
}  // namespace prompt_params_test
}  // namespace promptbench::testing
