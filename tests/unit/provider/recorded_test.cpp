// SPDX-License-Identifier: Apache-2.0
// The recorded provider: reading an outputs file, looking lines up, its config entry, the
// pre-flight checks of its lines, and runs that score recorded outputs without a request.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "promptbench/runner.hpp"
#include "provider/providers/recorded.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using providers::RecordedOutput;
using providers::RecordedOutputs;

/// The summary of `name` in `variant`; an empty one when the variant has none.
MetricSummary metric(const VariantSummary& variant, const std::string& name) {
  for (const MetricSummary& summary : variant.metrics) {
    if (summary.name == name) {
      return summary;
    }
  }
  return MetricSummary{};
}

RecordedOutputs read_outputs(const std::string& text) {
  return RecordedOutputs::read(std::make_unique<std::istringstream>(text), "outputs.jsonl");
}

/// The message of the UserError reading `text` throws, or "" when it reads.
std::string read_error(const std::string& text) {
  try {
    (void)read_outputs(text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(RecordedOutputs, ReadsEveryFieldOfALine) {
  const RecordedOutputs outputs = read_outputs(
      R"({"id": "q1", "output": "yes", "prompt": "terse", "repeat": 1, "latency_ms": 12.5,)"
      R"( "ttft_ms": 3, "usage": {"prompt_tokens": 7, "completion_tokens": 2}})"
      "\n");
  ASSERT_EQ(outputs.lines().size(), 1u);
  const RecordedOutput& line = outputs.lines().front();
  EXPECT_EQ(line.case_id, "q1");
  EXPECT_EQ(line.output, "yes");
  EXPECT_EQ(line.prompt, "terse");
  EXPECT_EQ(line.repeat, 1u);
  EXPECT_EQ(line.latency_ms, 12.5);
  EXPECT_EQ(line.ttft_ms, 3.0);
  EXPECT_EQ(line.usage.prompt_tokens, 7);
  EXPECT_EQ(line.usage.completion_tokens, 2);
  EXPECT_EQ(line.where.to_string(), "outputs.jsonl:1");

  const Completion completion = providers::completion_of(line);
  EXPECT_EQ(completion.text, "yes");
  EXPECT_EQ(completion.latency_ms, 12.5);
  EXPECT_EQ(completion.ttft_ms, 3.0);
  EXPECT_EQ(completion.usage.completion_tokens, 2);
}

TEST(RecordedOutputs, KeepsANumberIdAsItsJsonTextLikeTheDataset) {
  const RecordedOutputs outputs = read_outputs(
      "{\"id\": 7, \"output\": \"a\"}\n"
      "\n"
      "{\"id\": 2.5, \"output\": \"b\"}\r\n");
  ASSERT_EQ(outputs.lines().size(), 2u);
  EXPECT_EQ(outputs.lines()[0].case_id, "7");
  EXPECT_EQ(outputs.lines()[1].case_id, "2.5");
  EXPECT_EQ(outputs.lines()[1].where.line, 3u);  // the blank line still counts
}

TEST(RecordedOutputs, OptionalFieldsMayBeAbsentOrNull) {
  const RecordedOutputs outputs = read_outputs(
      R"({"id": "a", "output": "", "latency_ms": null, "usage": null})"
      "\n"
      R"({"id": "b", "output": "x", "usage": {"prompt_tokens": null, "total_tokens": 9}})"
      "\n");
  const RecordedOutput& a = outputs.lines()[0];
  EXPECT_FALSE(a.prompt);
  EXPECT_FALSE(a.repeat);
  EXPECT_FALSE(a.latency_ms);
  EXPECT_FALSE(a.usage.prompt_tokens);
  EXPECT_EQ(providers::completion_of(a).latency_ms, 0);
  EXPECT_FALSE(outputs.lines()[1].usage.prompt_tokens);
  EXPECT_FALSE(outputs.lines()[1].usage.completion_tokens);
}

TEST(RecordedOutputs, FindsTheMostSpecificLine) {
  const RecordedOutputs outputs = read_outputs(R"({"id": "q", "output": "any"}
{"id": "q", "output": "terse", "prompt": "terse"}
{"id": "q", "output": "second", "repeat": 1}
{"id": "q", "output": "terse second", "prompt": "terse", "repeat": 1}
{"id": "r", "output": "only chat", "prompt": "chat"}
)");
  const auto output = [&](const std::string& id, const std::string& prompt, std::size_t repeat) {
    const RecordedOutput* line = outputs.find(id, prompt, repeat);
    return line == nullptr ? std::string("(none)") : line->output;
  };
  EXPECT_EQ(output("q", "chat", 0), "any");
  EXPECT_EQ(output("q", "terse", 0), "terse");
  EXPECT_EQ(output("q", "chat", 1), "second");
  EXPECT_EQ(output("q", "terse", 1), "terse second");
  EXPECT_EQ(output("r", "chat", 0), "only chat");
  EXPECT_EQ(output("r", "terse", 0), "(none)");
  EXPECT_EQ(output("s", "chat", 0), "(none)");
}

TEST(RecordedOutputs, ReportsTheLineAndFieldOfAWrongLine) {
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\"}\n{\"id\": \"b\", \"output\": }\n"),
            "outputs.jsonl:2: malformed JSON: syntax error while parsing value - unexpected '}'; "
            "expected '[', '{', or a literal");
  EXPECT_EQ(read_error("[1, 2]\n"), "outputs.jsonl:1: expected a JSON object, got array");
  EXPECT_EQ(read_error("{\"output\": \"x\"}\n"), "outputs.jsonl:1: missing field \"id\"");
  EXPECT_EQ(read_error("{\"id\": \"a\"}\n"), "outputs.jsonl:1: missing field \"output\"");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": null}\n"),
            "outputs.jsonl:1: field \"output\" must be a string, got null");
  EXPECT_EQ(read_error("{\"id\": true, \"output\": \"x\"}\n"),
            "outputs.jsonl:1: field \"id\" must be a non-empty string or a number, got boolean");
  EXPECT_EQ(read_error("{\"id\": \"\", \"output\": \"x\"}\n"),
            "outputs.jsonl:1: field \"id\" must be a non-empty string or a number, got string");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"outptu\": \"x\"}\n"),
            "outputs.jsonl:1: unknown field \"outptu\" (did you mean 'output'?)");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"prompt\": 3}\n"),
            "outputs.jsonl:1: field \"prompt\" must be a prompt id (a non-empty string), got "
            "number");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"repeat\": -1}\n"),
            "outputs.jsonl:1: field \"repeat\" must be a whole number, 0 or more, got number");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"latency_ms\": \"5\"}\n"),
            "outputs.jsonl:1: field \"latency_ms\" must be a number of milliseconds, 0 or more, "
            "got string");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"usage\": 5}\n"),
            "outputs.jsonl:1: field \"usage\" must be an object {prompt_tokens, "
            "completion_tokens}, got number");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"usage\": {\"completion_tokens\": "
                       "1.5}}\n"),
            "outputs.jsonl:1: field \"usage.completion_tokens\" must be a whole number, 0 or "
            "more, got number");
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\", \"usage\": {\"prompt\": 1}}\n"),
            "outputs.jsonl:1: unknown field \"usage.prompt\"");
}

TEST(RecordedOutputs, RefusesTwoOutputsForOneResult) {
  EXPECT_EQ(read_error("{\"id\": \"a\", \"output\": \"x\"}\n"
                       "{\"id\": \"a\", \"output\": \"y\", \"prompt\": \"p\"}\n"
                       "{\"id\": \"a\", \"output\": \"z\"}\n"),
            "outputs.jsonl:3: a second output for case 'a' (the first is on line 1)");
  EXPECT_EQ(read_error("{\"id\": 1, \"output\": \"x\", \"prompt\": \"p\", \"repeat\": 0}\n"
                       "{\"id\": \"1\", \"output\": \"y\", \"prompt\": \"p\", \"repeat\": 0}\n"),
            "outputs.jsonl:2: a second output for case '1' (prompt 'p', repeat 0) (the first is "
            "on line 1)");
}

TEST(RecordedProvider, ChecksItsOptions) {
  EXPECT_NO_THROW(providers::validate_recorded(ProviderOptions(R"({"path": "o.jsonl"})"_json)));
  const auto message = [](const nlohmann::json& options) -> std::string {
    try {
      providers::validate_recorded(ProviderOptions(options));
    } catch (const OptionError& e) {
      return e.key() + ": " + e.what();
    }
    return "";
  };
  EXPECT_EQ(message(nlohmann::json::object()),
            ": missing required field 'path' (the JSON Lines file of outputs)");
  EXPECT_EQ(message(R"({"path": 3})"_json),
            "path: expected a file path (a non-empty string), got number");
  EXPECT_EQ(message(R"({"path": "o.jsonl", "pth": 1})"_json),
            "pth: unknown key 'pth' (did you mean 'path'?)");
}

/// Configs and datasets on disk, for the loader, the pre-flight pass and whole runs.
class RecordedRun : public ::testing::Test {
 protected:
  Config load(const std::string& providers, const std::string& outputs,
              const std::string& extra = "") {
    m_dir.write("data.jsonl",
                "{\"id\": \"a\", \"label\": \"yes\"}\n"
                "{\"id\": \"b\", \"label\": \"no\"}\n"
                "{\"id\": \"c\", \"label\": \"yes\"}\n");
    m_dir.write("out/outputs.jsonl", outputs);
    return load_config(m_dir.write("cfg.yaml", "providers:\n" + providers +
                                                   "prompts:\n"
                                                   "  - {id: terse, template: \"{{label}}?\"}\n"
                                                   "  - {id: chat, template: \"Say {{label}}\"}\n"
                                                   "dataset: {path: data.jsonl, reference: "
                                                   "label, id: id}\n"
                                                   "metrics: [exact_match, latency]\n" +
                                                   extra));
  }

  std::string load_error(const std::string& providers, const std::string& outputs = "") {
    try {
      (void)load(providers, outputs);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }

  std::string preflight_error(const Config& config) {
    try {
      (void)preflight(config, plan_variants(config, {}, {}), std::nullopt);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }

  RunOptions options() const {
    RunOptions run;
    run.output = m_dir.path() / "report.json";
    run.clock = &m_clock;
    return run;
  }

  nlohmann::json read_report() const {
    std::ifstream in(m_dir.path() / "report.json");
    return nlohmann::json::parse(in);
  }

  /// The configs name files relative to themselves; messages name them from the test's
  /// working directory, so the tests compare messages with the folder cut off.
  std::string relative(std::string message) const {
    const std::string folder = m_dir.path().string() + "/";
    for (std::size_t at = message.find(folder); at != std::string::npos;
         at = message.find(folder)) {
      message.erase(at, folder.size());
    }
    return message;
  }

  static constexpr const char* kRecorded =
      "  - {id: rec, type: recorded, path: out/outputs.jsonl}\n";

  testing::ScratchDir m_dir;
  mutable testing::FakeClock m_clock;
};

TEST_F(RecordedRun, LoadsWithoutModelBaseUrlOrKey) {
  const Config config = load(kRecorded, "");
  ASSERT_EQ(config.providers.size(), 1u);
  EXPECT_EQ(config.providers[0].type, "recorded");
  EXPECT_EQ(config.providers[0].options["path"], "out/outputs.jsonl");
  EXPECT_EQ(relative(providers::recorded_file(config.providers[0]).display), "out/outputs.jsonl");
}

TEST_F(RecordedRun, RefusesKeysThatShapeRequests) {
  EXPECT_EQ(relative(load_error("  - {id: rec, type: recorded, path: out/outputs.jsonl, "
                                "base_url: \"http://127.0.0.1:1/v1\"}\n")),
            "cfg.yaml:2:56: providers[0].base_url: 'base_url' does not apply to a recorded "
            "provider: it sends no requests (its keys: id, type, path, model, pricing)");
  EXPECT_EQ(relative(load_error("  - {id: rec, type: recorded}\n")),
            "cfg.yaml:2:5: providers[0]: missing required field 'path' (the JSON Lines file of "
            "outputs)");
  EXPECT_EQ(relative(load_error("  - {id: rec, type: recorded, path: nope.jsonl}\n")),
            "cfg.yaml:2:37: providers[0].path: recorded outputs file 'nope.jsonl' not found");
}

TEST_F(RecordedRun, CannotJudge) {
  m_dir.write("data.jsonl", "{\"id\": \"a\", \"label\": \"yes\"}\n");
  m_dir.write("o.jsonl", "");
  const std::string text =
      "providers: [{id: rec, type: recorded, path: o.jsonl}]\n"
      "prompts: [{id: p, template: x}]\n"
      "dataset: {path: data.jsonl, reference: label}\n"
      "metrics:\n  - llm_judge: {judge: rec, rubric: \"Is {{output}} ok?\"}\n";
  const Config config = load_config(m_dir.write("cfg.yaml", text));
  EXPECT_EQ(
      relative(preflight_error(config)),
      "cfg.yaml:5:5: metrics[0].judge: 'rec' is a recorded provider: it calls no model, so it "
      "cannot judge");
}

TEST_F(RecordedRun, PreflightNamesALineWhoseIdIsInNoCase) {
  const Config config = load(kRecorded,
                             "{\"id\": \"a\", \"output\": \"yes\"}\n"
                             "{\"id\": \"zz\", \"output\": \"no\"}\n");
  EXPECT_EQ(relative(preflight_error(config)),
            "out/outputs.jsonl:2: id 'zz' names no case of data.jsonl");
}

TEST_F(RecordedRun, PreflightLooksForIdsPastTheLimit) {
  const Config config = load(kRecorded, "{\"id\": \"c\", \"output\": \"yes\"}\n");
  EXPECT_NO_THROW((void)preflight(config, plan_variants(config, {}, {}), std::size_t{1}));
}

TEST_F(RecordedRun, PreflightNamesALineWhosePromptIsUnknown) {
  const Config config =
      load(kRecorded, "{\"id\": \"a\", \"output\": \"yes\", \"prompt\": \"chta\"}\n");
  EXPECT_EQ(relative(preflight_error(config)),
            "out/outputs.jsonl:1: prompt 'chta' names no prompt of the config (did you mean "
            "'chat'?)");
}

TEST_F(RecordedRun, RenderRefusesClearly) {
  const Config config = load(kRecorded, "");
  const auto provider = make_provider(config.providers[0]);
  try {
    (void)provider->build_request(RenderedPrompt{}, nlohmann::json::object());
    FAIL() << "build_request returned";
  } catch (const UserError& e) {
    EXPECT_EQ(relative(e.what()),
              "cfg.yaml:2:5: providers[0]: provider 'rec' is recorded: it sends no request; its "
              "outputs come from out/outputs.jsonl");
  }
}

TEST_F(RecordedRun, ScoresRecordedOutputsWithoutSendingAnything) {
  // terse: a yes, b wrong, c yes -> 2/3; chat: a and b right, c has no line -> an error.
  const Config config =
      load(kRecorded, R"({"id": "a", "output": "yes", "latency_ms": 10})"
                      "\n"
                      R"({"id": "b", "output": "maybe", "prompt": "terse", "latency_ms": 30})"
                      "\n"
                      R"({"id": "b", "output": "no", "prompt": "chat"})"
                      "\n"
                      R"({"id": "c", "output": "yes", "prompt": "terse", "latency_ms": 20})"
                      "\n");
  testing::FakeTransport transport;
  const ReportSummary summary = run_eval(config, options(), transport);

  EXPECT_TRUE(transport.started.empty());
  ASSERT_EQ(summary.variants.size(), 2u);
  const VariantSummary& terse = summary.variants[0];
  EXPECT_EQ(terse.id, "terse/rec");
  EXPECT_NEAR(metric(terse, "exact_match").mean, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(metric(terse, "latency").mean, 20.0, 1e-12);
  const VariantSummary& chat = summary.variants[1];
  EXPECT_EQ(metric(chat, "exact_match").n, 2u);
  EXPECT_EQ(metric(chat, "exact_match").mean, 1.0);
  // Of the chat lines only a's (shared with terse) has a latency_ms; b's is unscored, not 0.
  EXPECT_EQ(metric(chat, "latency").n, 1u);
  EXPECT_EQ(metric(chat, "latency").mean, 10.0);

  EXPECT_EQ(summary.run.errors.requests.failed, 1u);
  EXPECT_EQ(summary.run.errors.requests.total, 6u);
  ASSERT_TRUE(summary.run.errors.requests.first);
  EXPECT_EQ(summary.run.errors.requests.first->kind, "not_recorded");
  EXPECT_EQ(relative(summary.run.errors.requests.first->message),
            "no recorded output for case 'c' (prompt 'chat') in out/outputs.jsonl");

  const nlohmann::json report = read_report();
  const nlohmann::json& b_chat = report["cases"][1]["results"][1];
  EXPECT_EQ(b_chat["variant"], "chat/rec");
  EXPECT_EQ(b_chat["output"], "no");
  EXPECT_EQ(b_chat["cached"], false);
  EXPECT_EQ(b_chat["attempts"], 0);
  EXPECT_TRUE(b_chat["latency_ms"].is_null());
  EXPECT_EQ(b_chat["score_errors"]["latency"], "the recorded output has no latency_ms");
  const nlohmann::json& c_chat = report["cases"][2]["results"][1];
  EXPECT_EQ(c_chat["error"]["kind"], "not_recorded");
  EXPECT_TRUE(c_chat["output"].is_null());
}

TEST_F(RecordedRun, AnswersEveryRepeatFromItsLine) {
  const Config config = load(kRecorded, R"({"id": "a", "output": "yes", "repeat": 1})"
                                        "\n"
                                        R"({"id": "a", "output": "no"})"
                                        "\n"
                                        R"({"id": "b", "output": "no"})"
                                        "\n"
                                        R"({"id": "c", "output": "yes"})"
                                        "\n");
  RunOptions run = options();
  run.repeat = 2;
  run.prompt_ids = {"terse"};
  testing::FakeTransport transport;
  const ReportSummary summary = run_eval(config, run, transport);
  const nlohmann::json report = read_report();
  EXPECT_EQ(report["cases"][0]["results"][0]["output"], "no");
  EXPECT_EQ(report["cases"][0]["results"][1]["output"], "yes");
  // Per case: a 0.5, b 1, c 1.
  EXPECT_NEAR(metric(summary.variants[0], "exact_match").mean, 2.5 / 3.0, 1e-12);
  EXPECT_EQ(summary.run.errors.requests.failed, 0u);
}

TEST_F(RecordedRun, HandsCasesOnWhileReadingALargeDataset) {
  // Every case is handed on long before the last row is read: the run does not buffer the
  // whole dataset just because no answer waits for the network.
  std::string rows;
  std::string outputs;
  constexpr std::size_t kCases = 3000;
  for (std::size_t i = 0; i < kCases; ++i) {
    rows += "{\"id\": \"r" + std::to_string(i) + "\", \"label\": \"yes\"}\n";
    outputs += "{\"id\": \"r" + std::to_string(i) + "\", \"output\": \"yes\"}\n";
  }
  m_dir.write("big.jsonl", rows);
  m_dir.write("big_out.jsonl", outputs);
  const Config config =
      load_config(m_dir.write("big.yaml",
                              "providers: [{id: rec, type: recorded, path: big_out.jsonl}]\n"
                              "prompts: [{id: p, template: x}]\n"
                              "dataset: {path: big.jsonl, reference: label, id: id}\n"));
  RunOptions run = options();
  std::size_t handed_on = 0;
  std::size_t answered = 0;
  std::size_t answered_at_first = 0;
  run.on_case = [&](const CaseRecord&) {
    if (handed_on++ == 0) {
      answered_at_first = answered;
    }
  };
  testing::FakeTransport transport;
  const ReportSummary summary =
      run_eval(config, run, transport, [&](const Progress& progress) { answered = progress.done; });
  EXPECT_EQ(handed_on, kCases);
  EXPECT_EQ(metric(summary.variants[0], "exact_match").mean, 1.0);
  EXPECT_TRUE(transport.started.empty());
  // One turn of the loop answers a few hundred results at most, then hands the finished cases
  // on: the first case went out long before all 3000 were read.
  EXPECT_GT(answered_at_first, 0u);
  EXPECT_LE(answered_at_first, 300u);
}

}  // namespace
}  // namespace promptbench
