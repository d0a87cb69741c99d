// SPDX-License-Identifier: Apache-2.0
// watched_files: every file a config makes a run read, and nothing it only mentions.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/watch.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using Paths = std::vector<std::filesystem::path>;

class WatchedFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("rows.jsonl", "{\"id\": \"1\", \"q\": \"hi\", \"a\": \"x\"}\n");
    m_dir.write("prompts/ask.mustache", "Q: {{q}}\n");
    m_dir.write("prompts/again.mustache", "Again: {{q}}\n");
    m_dir.write("rubrics/grade.mustache", "Is {{output}} right? Answer PASS or FAIL.\n");
    m_dir.write("schemas/answer.json", "{\"type\": \"object\"}\n");
    m_dir.write("scorers/score.py", "print('never run')\n");
    const auto script = m_dir.write("scorers/run.sh", "#!/bin/sh\nexit 0\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
  }

  /// The watched files of `yaml` (written as cfg.yaml), relative to the scratch dir.
  Paths watched(const std::string& yaml) {
    const Config config = load_config(m_dir.write("cfg.yaml", yaml));
    Paths relative;
    for (const auto& path : watched_files(config)) {
      relative.push_back(path.lexically_relative(m_dir.path()));
    }
    return relative;
  }

  testing::ScratchDir m_dir;
};

constexpr const char* kProviders = R"(name: t
providers:
  - {id: local, base_url: "http://127.0.0.1:9/v1", model: m}
judges:
  - {id: grader, base_url: "http://127.0.0.1:9/v1", model: g}
dataset: {path: rows.jsonl, reference: a, id: id}
)";

TEST(WatchedFilesOrder, ConfigThenPromptFilesThenDatasetThenMetricFiles) {
  testing::ScratchDir dir;
  dir.write("rows.jsonl", "{\"q\": \"hi\", \"a\": \"x\"}\n");
  dir.write("p.mustache", "{{q}}");
  const Config config = load_config(dir.write("cfg.yaml", R"(name: t
providers: [{id: local, base_url: "http://127.0.0.1:9/v1", model: m}]
prompts: [{id: p, file: p.mustache}]
dataset: {path: rows.jsonl, reference: a}
)"));
  EXPECT_EQ(watched_files(config),
            (Paths{dir.path() / "cfg.yaml", dir.path() / "p.mustache", dir.path() / "rows.jsonl"}));
}

TEST_F(WatchedFiles, ListsPromptFilesButNotInlineTemplates) {
  EXPECT_EQ(watched(std::string(kProviders) + R"(prompts:
  - {id: ask, file: prompts/ask.mustache}
  - {id: inline, template: "{{q}}"}
  - {id: chat, messages: [{role: user, content: "{{q}}"}]}
  - {id: again, file: ./prompts/again.mustache}
)"),
            (Paths{"cfg.yaml", "prompts/ask.mustache", "prompts/again.mustache", "rows.jsonl"}));
}

TEST_F(WatchedFiles, ListsTheFilesMetricsRead) {
  EXPECT_EQ(watched(std::string(kProviders) + R"(prompts: [{id: ask, file: prompts/ask.mustache}]
metrics:
  - exact_match
  - llm_judge: {judge: grader, rubric_file: rubrics/grade.mustache, format: pass_fail}
  - json_schema: {schema: schemas/answer.json}
  - command: {run: scorers/run.sh scorers/score.py --label positive}
)"),
            (Paths{"cfg.yaml", "prompts/ask.mustache", "rows.jsonl", "rubrics/grade.mustache",
                   "schemas/answer.json", "scorers/run.sh", "scorers/score.py"}));
}

TEST_F(WatchedFiles, ListsTheFilesOfACommandGivenAsAList) {
  EXPECT_EQ(watched(std::string(kProviders) + R"(prompts: [{id: ask, template: "{{q}}"}]
metrics:
  - command: {run: [scorers/run.sh, scorers/score.py]}
)"),
            (Paths{"cfg.yaml", "rows.jsonl", "scorers/run.sh", "scorers/score.py"}));
}

TEST_F(WatchedFiles, ListsAFileOnceHoweverItIsSpelled) {
  EXPECT_EQ(watched(std::string(kProviders) + R"(prompts:
  - {id: ask, file: prompts/ask.mustache}
  - {id: same, file: prompts/../prompts/ask.mustache}
metrics:
  - command: {run: [./scorers/run.sh, scorers/run.sh]}
)"),
            (Paths{"cfg.yaml", "prompts/ask.mustache", "rows.jsonl", "scorers/run.sh"}));
}

TEST(WatchedFilesPaths, AreRelativeToTheCurrentDirectoryWhenTheConfigPathWas) {
  testing::ScratchDir dir;
  dir.write("suite/rows.jsonl", "{\"q\": \"hi\", \"a\": \"x\"}\n");
  dir.write("suite/p.mustache", "{{q}}");
  dir.write("suite/cfg.yaml", R"(name: t
providers: [{id: local, base_url: "http://127.0.0.1:9/v1", model: m}]
prompts: [{id: p, file: p.mustache}]
dataset: {path: rows.jsonl, reference: a}
)");
  const auto here = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const Config config = load_config("suite/cfg.yaml");
  const Paths files = watched_files(config);
  std::filesystem::current_path(here);
  EXPECT_EQ(files, (Paths{"suite/cfg.yaml", "suite/p.mustache", "suite/rows.jsonl"}));
}

}  // namespace
}  // namespace promptbench
