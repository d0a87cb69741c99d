// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of `promptbench eval` against the stub endpoint, checking the report and the
// stub's counters against counts the test makes itself from the data it generated.

#include "support/harness.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace eval_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

json read_json(const std::filesystem::path& path) {
  return json::parse(read_file(path));
}

// `sha256sum FILE`, an implementation independent of promptbench's.
std::string sha256_of(const std::filesystem::path& path) {
  const ProcessResult result = run_process({"sha256sum", path.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out.substr(0, result.out.find(' '));
}

std::string lower_trimmed(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return {};
  }
  std::string out = text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

// Every result of `variant` in the report's cases.
std::vector<json> results_of(const json& report, const std::string& variant) {
  std::vector<json> results;
  for (const json& c : report.at("cases")) {
    for (const json& result : c.at("results")) {
      if (result.at("variant") == variant) {
        results.push_back(result);
      }
    }
  }
  return results;
}

std::vector<std::string> variant_ids(const json& report) {
  std::vector<std::string> ids;
  for (const json& variant : report.at("variants")) {
    ids.push_back(variant.at("id"));
  }
  return ids;
}

std::vector<std::string> case_ids(const json& report) {
  std::vector<std::string> ids;
  for (const json& c : report.at("cases")) {
    ids.push_back(c.at("id"));
  }
  return ids;
}

struct GeneratedCase {
  std::string id;
  std::string answer;
  std::string label;
};

// A deterministic dataset: the answer is the label, an upper-cased or space-padded label (which
// exact_match with normalize [trim, lower] accepts), or a different label. Only the raw output
// of mt19937 is used, which the standard fixes, so the data is the same everywhere.
std::vector<GeneratedCase> generate_cases(std::size_t count, std::uint32_t seed) {
  const std::array<std::string, 4> labels = {"red", "green", "blue", "cyan"};
  std::mt19937 random(seed);
  std::vector<GeneratedCase> cases;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t label_index = random() % labels.size();
    const std::string& label = labels[label_index];
    std::string answer;
    switch (random() % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        answer = label;
        break;
      case 5:
      case 6:
        answer = label;
        std::transform(answer.begin(), answer.end(), answer.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        break;
      case 7:
        answer = " " + label + " ";
        break;
      default:
        answer = labels[(label_index + 1 + random() % 3) % labels.size()];
        break;
    }
    cases.push_back({"q" + std::to_string(10000 + i), answer, label});
  }
  return cases;
}

std::string to_jsonl(const std::vector<GeneratedCase>& cases) {
  std::string text;
  for (const auto& c : cases) {
    text += json{{"id", c.id}, {"answer", c.answer}, {"label", c.label}}.dump() + "\n";
  }
  return text;
}

// The independent count: how many answers equal their label after trimming and lower-casing.
std::size_t expected_matches(const std::vector<GeneratedCase>& cases) {
  return static_cast<std::size_t>(std::count_if(cases.begin(), cases.end(), [](const auto& c) {
    return lower_trimmed(c.answer) == c.label;
  }));
}

// Two variants on one stub: `plain` (template; the answer is pulled back out of the echo by a
// regex) and `chat` (system + user messages; the echo is the answer itself). The case id is in
// both prompts, so every request body is unique.
constexpr const char* kTwoPromptConfig = R"yaml(name: two-prompts
providers:
  - id: stub
    base_url: @URL@
    model: echo-model
    retries: 0
prompts:
  - id: plain
    template: "Question {{id}}. ANSWER={{answer}}"
    extract: {regex: "ANSWER=(.*)", group: 1}
  - id: chat
    messages:
      - {role: system, content: "Case {{id}}: repeat the user's text."}
      - {role: user, content: "{{answer}}"}
dataset:
  path: data/cases.jsonl
  reference: label
  id: id
metrics:
  - exact_match: {normalize: [trim, lower]}
@EXTRA@)yaml";

std::string two_prompt_config(const StubServer& stub, const std::string& extra = "") {
  return replace_all(replace_all(kTwoPromptConfig, "@URL@", stub.base_url()), "@EXTRA@", extra);
}

// ---------------------------------------------------------------------------------------------
// 1000 cases x 2 prompts, run once for the whole suite
// ---------------------------------------------------------------------------------------------

class EvalOfAThousandCases : public ::testing::Test {
 protected:
  struct Run {
    TempDir dir;
    StubServer stub;
    std::vector<GeneratedCase> cases = generate_cases(1000, 20240601);
    ProcessResult result;
    json report;
    json stats;
  };

  static void SetUpTestSuite() {
    s_run = std::make_unique<Run>();
    Run& run = *s_run;
    run.dir.write("promptbench.yaml", two_prompt_config(run.stub));
    run.dir.write("data/cases.jsonl", to_jsonl(run.cases));
    run.result = promptbench(run.dir, {"eval", "promptbench.yaml", "-o", "out/report.json",
                                       "--color", "never", "--progress", "never"});
    run.stats = run.stub.stats();
    const auto report_path = run.dir.path() / "out/report.json";
    if (std::filesystem::exists(report_path)) {
      run.report = read_json(report_path);
    }
  }
  static void TearDownTestSuite() { s_run.reset(); }

  void SetUp() override {
    ASSERT_EQ(s_run->result.exit_code, 0) << s_run->result.err;
    ASSERT_TRUE(s_run->report.is_object()) << "no report written";
  }

  static const Run& run() { return *s_run; }

 private:
  static inline std::unique_ptr<Run> s_run;
};

TEST_F(EvalOfAThousandCases, SendsExactlyOneRequestPerCaseAndVariant) {
  const json& stats = run().stats;
  EXPECT_EQ(stats["requests"], 2000);
  EXPECT_EQ(stats["by_status"]["200"], 2000);
  EXPECT_EQ(stats["by_status"].size(), 1u) << stats.dump();
  EXPECT_EQ(stats["unique_bodies"], 2000);
  EXPECT_EQ(stats["max_requests_per_body"], 1);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 0);
  EXPECT_EQ(stats["authorization_seen"], 0);
}

TEST_F(EvalOfAThousandCases, ReportsTheExactMatchMeanOfAnIndependentCount) {
  const std::size_t matches = expected_matches(run().cases);
  // The data must make the metric discriminate, or the comparison proves little.
  ASSERT_GT(matches, 500u);
  ASSERT_LT(matches, 1000u);
  const json& variants = run().report["variants"];
  ASSERT_EQ(variant_ids(run().report), (std::vector<std::string>{"plain/stub", "chat/stub"}));
  for (const json& variant : variants) {
    SCOPED_TRACE(variant["id"].get<std::string>());
    EXPECT_EQ(variant["cases"], 1000);
    EXPECT_EQ(variant["errors"], 0);
    EXPECT_EQ(variant["model"], "echo-model");
    const json& metric = variant["metrics"]["exact_match"];
    EXPECT_EQ(metric["n"], 1000);
    EXPECT_NEAR(metric["mean"].get<double>(), static_cast<double>(matches) / 1000.0, 1e-12);
    EXPECT_TRUE(metric["higher_is_better"].get<bool>());
    std::size_t scored_one = 0;
    for (const json& result : results_of(run().report, variant["id"])) {
      scored_one += result["scores"]["exact_match"] == 1 ? 1 : 0;
    }
    EXPECT_EQ(scored_one, matches);
  }
}

TEST_F(EvalOfAThousandCases, ListsEveryCaseInDatasetOrderWithOneResultPerVariant) {
  const json& cases = run().report["cases"];
  ASSERT_EQ(cases.size(), run().cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const GeneratedCase& expected = run().cases[i];
    const json& c = cases[i];
    SCOPED_TRACE(expected.id);
    ASSERT_EQ(c["id"], expected.id);
    EXPECT_EQ(c["reference"], expected.label);
    EXPECT_EQ(c["vars"]["answer"], expected.answer);
    ASSERT_EQ(c["results"].size(), 2u);
    const json& plain = c["results"][0];
    const json& chat = c["results"][1];
    EXPECT_EQ(plain["variant"], "plain/stub");
    EXPECT_EQ(plain["output"], "Question " + expected.id + ". ANSWER=" + expected.answer);
    EXPECT_EQ(plain["extracted"], expected.answer);
    EXPECT_EQ(chat["variant"], "chat/stub");
    EXPECT_EQ(chat["output"], expected.answer);
    const int score = lower_trimmed(expected.answer) == expected.label ? 1 : 0;
    EXPECT_EQ(plain["scores"]["exact_match"], score);
    EXPECT_EQ(chat["scores"]["exact_match"], score);
    EXPECT_TRUE(plain["error"].is_null());
    EXPECT_TRUE(chat["error"].is_null());
    if (HasFailure()) {
      break;  // one case's details are enough
    }
  }
}

TEST_F(EvalOfAThousandCases, WritesACompleteReportAtomically) {
  const json& report = run().report;
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_EQ(report["tool"]["name"], "promptbench");
  EXPECT_EQ(report["run"]["name"], "two-prompts");
  EXPECT_EQ(report["run"]["complete"], true);
  EXPECT_EQ(report["run"]["dataset"]["cases"], 1000);
  EXPECT_EQ(report["run"]["dataset"]["path"], "data/cases.jsonl");
  const std::string config_sha = report["run"]["config_sha256"];
  EXPECT_TRUE(std::regex_match(config_sha, std::regex("[0-9a-f]{64}"))) << config_sha;
  EXPECT_EQ(config_sha, sha256_of(run().dir.path() / "promptbench.yaml"));
  EXPECT_EQ(report["run"]["dataset"]["sha256"], sha256_of(run().dir.path() / "data/cases.jsonl"));
  EXPECT_TRUE(report["gates"].is_array());
  std::vector<std::string> leftovers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run().dir.path())) {
    if (entry.path().extension() == ".tmp") {
      leftovers.push_back(entry.path().string());
    }
  }
  EXPECT_THAT(leftovers, ::testing::IsEmpty());
}

TEST_F(EvalOfAThousandCases, PrintsASummaryTableNamingEachVariantAndMetric) {
  const std::string& out = run().result.out;
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < out.size();) {
    const std::size_t end = out.find('\n', pos);
    lines.push_back(out.substr(pos, end - pos));
    pos = end == std::string::npos ? out.size() : end + 1;
  }
  ASSERT_GE(lines.size(), 4u) << out;
  EXPECT_THAT(lines[0], ::testing::StartsWith("variant"));
  EXPECT_THAT(lines[0], HasSubstr("exact_match"));
  EXPECT_THAT(lines[1], ::testing::StartsWith("plain/stub "));
  EXPECT_THAT(lines[2], ::testing::StartsWith("chat/stub "));
  EXPECT_EQ(lines.back(), "report: out/report.json");
  EXPECT_THAT(out, Not(HasSubstr("\x1b[")));
}

// ---------------------------------------------------------------------------------------------
// Failed requests are recorded on their case
// ---------------------------------------------------------------------------------------------

struct FaultRun {
  ProcessResult result;
  json report;
  json stats;
};

// 300 cases through the `chat` prompt only, with the stub injecting faults.
FaultRun run_with_faults(const std::vector<std::string>& stub_args) {
  StubServer stub(stub_args);
  TempDir dir;
  dir.write("promptbench.yaml", two_prompt_config(stub));
  dir.write("data/cases.jsonl", to_jsonl(generate_cases(300, 99)));
  FaultRun run;
  run.result =
      promptbench(dir, {"eval", "promptbench.yaml", "-o", "report.json", "--prompt", "chat", "-q"});
  run.stats = stub.stats();
  if (std::filesystem::exists(dir.path() / "report.json")) {
    run.report = read_json(dir.path() / "report.json");
  }
  return run;
}

// Counts results of the only variant whose error matches.
std::size_t count_errors(const json& report, const std::string& kind, int status,
                         const std::string& message_part) {
  std::size_t count = 0;
  for (const json& result : results_of(report, "chat/stub")) {
    const json& error = result["error"];
    if (error.is_null()) {
      continue;
    }
    EXPECT_EQ(error["kind"], kind) << error.dump();
    EXPECT_THAT(error["message"].get<std::string>(), HasSubstr(message_part));
    EXPECT_TRUE(result["scores"].empty()) << result.dump();
    if (status != 0) {
      EXPECT_EQ(error["status"], status) << error.dump();
    }
    ++count;
  }
  return count;
}

// The run goes to the end and writes everything, then exits 3 naming the failures.
void expect_errors_do_not_stop_the_run(const FaultRun& run, std::size_t injected) {
  ASSERT_EQ(run.result.exit_code, 3) << run.result.err;
  EXPECT_THAT(run.result.err,
              HasSubstr(fmt::format("promptbench: error: {} of 300 requests failed (", injected)));
  EXPECT_THAT(run.result.err, HasSubstr("promptbench: error: the run could not complete: "));
  ASSERT_TRUE(run.report.is_object());
  EXPECT_EQ(run.report["run"]["complete"], true);
  EXPECT_EQ(run.report["cases"].size(), 300u);
  EXPECT_EQ(run.stats["requests"], 300);
  ASSERT_EQ(run.report["variants"].size(), 1u);
  const json& variant = run.report["variants"][0];
  EXPECT_GT(injected, 0u) << "the stub injected no faults";
  EXPECT_LT(injected, 300u);
  EXPECT_EQ(variant["errors"], injected);
  EXPECT_EQ(variant["metrics"]["exact_match"]["n"].get<std::size_t>() + injected, 300u);
}

TEST(EvalErrors, RecordsServerErrorsOnTheirCasesWithoutStopping) {
  const FaultRun run = run_with_faults({"--fail-500", "0.2", "--seed", "7"});
  ASSERT_TRUE(run.report.is_object()) << run.result.err;
  const std::size_t recorded =
      count_errors(run.report, "http_status", 500, "stub: injected server error");
  EXPECT_EQ(run.stats["by_status"].value("500", 0u), recorded);
  expect_errors_do_not_stop_the_run(run, recorded);
}

TEST(EvalErrors, RecordsMalformedResponsesAsBadResponses) {
  const FaultRun run = run_with_faults({"--malformed", "0.2", "--seed", "7"});
  ASSERT_TRUE(run.report.is_object()) << run.result.err;
  const std::size_t recorded = count_errors(run.report, "bad_response", 0, "");
  EXPECT_EQ(run.stats["malformed"], recorded);
  expect_errors_do_not_stop_the_run(run, recorded);
}

TEST(EvalErrors, RecordsClientErrorsWithTheServersMessage) {
  const FaultRun run = run_with_faults({"--fail-400", "0.2", "--seed", "7"});
  ASSERT_TRUE(run.report.is_object()) << run.result.err;
  const std::size_t recorded =
      count_errors(run.report, "http_status", 400, "stub: invalid request");
  EXPECT_EQ(run.stats["by_status"].value("400", 0u), recorded);
  expect_errors_do_not_stop_the_run(run, recorded);
}

// ---------------------------------------------------------------------------------------------
// Gates
// ---------------------------------------------------------------------------------------------

// Four cases, three answered right: exact_match mean 0.75 for the `chat` variant.
struct GateRun {
  ProcessResult result;
  json report;
};

GateRun run_with_gate(const std::string& gate) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml", two_prompt_config(stub, "gates:\n  - " + gate + "\n"));
  dir.write("data/cases.jsonl", to_jsonl({{"g1", "red", "red"},
                                          {"g2", "blue", "blue"},
                                          {"g3", "green", "red"},
                                          {"g4", "cyan", "cyan"}}));
  GateRun run;
  run.result = promptbench(dir, {"eval", "promptbench.yaml", "-o", "report.json", "--prompt",
                                 "chat", "--color", "never"});
  if (std::filesystem::exists(dir.path() / "report.json")) {
    run.report = read_json(dir.path() / "report.json");
  }
  return run;
}

TEST(EvalGates, AFailedGateExitsOneAndTheReportStillHasEverything) {
  const GateRun run = run_with_gate("{metric: exact_match, min: 0.8}");
  EXPECT_EQ(run.result.exit_code, 1) << run.result.err;
  ASSERT_TRUE(run.report.is_object());
  EXPECT_EQ(run.report["run"]["complete"], true);
  EXPECT_EQ(case_ids(run.report), (std::vector<std::string>{"g1", "g2", "g3", "g4"}));
  EXPECT_DOUBLE_EQ(run.report["variants"][0]["metrics"]["exact_match"]["mean"].get<double>(), 0.75);
  ASSERT_EQ(run.report["gates"].size(), 1u);
  const json& gate = run.report["gates"][0];
  EXPECT_EQ(gate["metric"], "exact_match");
  EXPECT_EQ(gate["variant"], "chat/stub");
  EXPECT_DOUBLE_EQ(gate["min"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(gate["value"].get<double>(), 0.75);
  EXPECT_EQ(gate["passed"], false);
  EXPECT_THAT(run.result.out, HasSubstr("\ngates: 1 of 1 failed\n"));
  EXPECT_EQ(run.result.err,
            "promptbench: gate failed (1 of 1): chat/stub exact_match: mean 0.75 < min 0.8 (short "
            "by 0.05)\n");
}

TEST(EvalGates, APassingGateExitsZero) {
  const GateRun run = run_with_gate("{metric: exact_match, min: 0.7}");
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_TRUE(run.report.is_object());
  ASSERT_EQ(run.report["gates"].size(), 1u);
  EXPECT_DOUBLE_EQ(run.report["gates"][0]["value"].get<double>(), 0.75);
  EXPECT_EQ(run.report["gates"][0]["passed"], true);
  EXPECT_THAT(run.result.out, Not(HasSubstr("gate failed")));
}

// ---------------------------------------------------------------------------------------------
// Filters, dry run and terminal output: 10 cases x 3 prompts x 2 providers
// ---------------------------------------------------------------------------------------------

constexpr const char* kSixVariantConfig = R"(providers:
  - {id: x, base_url: @URL@, model: model-x, retries: 0}
  - {id: y, base_url: @URL@, model: model-y, retries: 0}
prompts:
  - id: a
    messages: [{role: system, content: "a {{id}}"}, {role: user, content: "{{answer}}"}]
  - id: b
    messages: [{role: system, content: "b {{id}}"}, {role: user, content: "{{answer}}"}]
  - id: c
    messages: [{role: system, content: "c {{id}}"}, {role: user, content: "{{answer}}"}]
dataset: {path: cases.jsonl, reference: label, id: id}
metrics: [exact_match, contains, latency]
)";

class EvalOfSixVariants : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("promptbench.yaml", replace_all(kSixVariantConfig, "@URL@", m_stub.base_url()));
    m_dir.write("cases.jsonl", to_jsonl(generate_cases(10, 5)));
  }

  ProcessResult eval(std::vector<std::string> args, RunOptions options = {}) {
    args.insert(args.begin(), {"eval", "promptbench.yaml", "-o", "report.json"});
    return promptbench(m_dir, args, std::move(options));
  }

  json report() const { return read_json(m_dir.path() / "report.json"); }
  int requests() const { return m_stub.stats()["requests"]; }

  StubServer m_stub;
  TempDir m_dir;
};

TEST_F(EvalOfSixVariants, LimitEvaluatesOnlyTheFirstNCases) {
  const auto result = eval({"--limit", "4", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(requests(), 4 * 6);
  const json r = report();
  EXPECT_EQ(case_ids(r), (std::vector<std::string>{"q10000", "q10001", "q10002", "q10003"}));
  EXPECT_EQ(r["variants"].size(), 6u);
  for (const json& variant : r["variants"]) {
    EXPECT_EQ(variant["metrics"]["exact_match"]["n"], 4);
  }
}

TEST_F(EvalOfSixVariants, PromptFilterKeepsOnlyTheNamedPrompts) {
  const auto result = eval({"--prompt", "a", "--prompt", "c", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(requests(), 10 * 4);
  EXPECT_EQ(variant_ids(report()), (std::vector<std::string>{"a/x", "a/y", "c/x", "c/y"}));
}

TEST_F(EvalOfSixVariants, ProviderFilterKeepsOnlyTheNamedProviders) {
  const auto result = eval({"--provider", "y", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(requests(), 10 * 3);
  const json r = report();
  EXPECT_EQ(variant_ids(r), (std::vector<std::string>{"a/y", "b/y", "c/y"}));
  for (const json& variant : r["variants"]) {
    EXPECT_EQ(variant["model"], "model-y");
  }
}

TEST_F(EvalOfSixVariants, FiltersAndLimitCombine) {
  const auto result = eval({"--prompt", "b", "--provider", "x", "--limit", "3", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(requests(), 3);
  EXPECT_EQ(variant_ids(report()), (std::vector<std::string>{"b/x"}));
}

TEST_F(EvalOfSixVariants, DryRunSendsNothingAndWritesNoReport) {
  const auto result = eval({"--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(requests(), 0);
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json"));
  EXPECT_THAT(result.out, HasSubstr("10 cases x 6 variants = 60 requests"));
}

TEST_F(EvalOfSixVariants, QuietPrintsNothingOnStdout) {
  const auto result = eval({"-q", "--progress", "always", "--color", "always"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(requests(), 60);
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "report.json"));
}

TEST_F(EvalOfSixVariants, SummaryTableListsEveryVariantAndMetric) {
  const auto result = eval({"--color", "never"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string header = result.out.substr(0, result.out.find('\n'));
  EXPECT_THAT(header, ::testing::MatchesRegex("variant +exact_match +contains +latency +.*"));
  for (const char* id : {"a/x", "a/y", "b/x", "b/y", "c/x", "c/y"}) {
    EXPECT_THAT(result.out, HasSubstr(std::string("\n") + id + " ")) << result.out;
  }
}

TEST_F(EvalOfSixVariants, ColorAlwaysEmitsAnsiEscapes) {
  const auto result = eval({"--color", "always"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\x1b["));
}

TEST_F(EvalOfSixVariants, ColorNeverEmitsNoEscapes) {
  const auto result = eval({"--color", "never"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("\x1b")));
}

// On a pipe `auto` is colourless anyway; a terminal (util-linux `script`) makes NO_COLOR matter.
class EvalOnATerminal : public EvalOfSixVariants {
 protected:
  void SetUp() override {
    if (run_process({"sh", "-c", "command -v script"}).exit_code != 0) {
      GTEST_SKIP() << "util-linux script is not installed";
    }
    EvalOfSixVariants::SetUp();
  }

  // `script` runs a shell command line; the paths are quoted for it.
  ProcessResult run_in_script(const std::vector<std::pair<std::string, std::string>>& env) {
    RunOptions options;
    options.env = env;
    options.working_dir = m_dir.path().string();
    options.timeout = std::chrono::seconds(60);
    options.unset_env.push_back("NO_COLOR");
    const std::string command = "'" + promptbench_bin() +
                                "' eval promptbench.yaml -o report.json --color auto --progress "
                                "never";
    return run_process({"script", "-qec", command, "/dev/null"}, options);
  }
};

TEST_F(EvalOnATerminal, AutoColorUsesEscapesOnATerminal) {
  const auto result = run_in_script({});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("\x1b["));
  EXPECT_THAT(result.out, HasSubstr("a/x"));
}

TEST_F(EvalOnATerminal, NoColorDisablesAutoColorOnATerminal) {
  const auto result = run_in_script({{"NO_COLOR", "1"}});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("a/x"));
  EXPECT_THAT(result.out, Not(HasSubstr("\x1b")));
}

// ---------------------------------------------------------------------------------------------
// Config and dataset formats
// ---------------------------------------------------------------------------------------------

// Everything in a report that does not depend on timing.
json timeless(const json& report) {
  json out = {{"variants", json::array()}, {"cases", json::array()}};
  for (const json& variant : report["variants"]) {
    out["variants"].push_back({{"id", variant["id"]},
                               {"model", variant["model"]},
                               {"errors", variant["errors"]},
                               {"exact_match", variant["metrics"]["exact_match"]},
                               {"usage", variant["usage"]}});
  }
  for (json c : report["cases"]) {
    for (json& result : c["results"]) {
      for (const char* timing : {"latency_ms", "ttft_ms", "output_tokens_per_second"}) {
        result.erase(timing);
      }
    }
    out["cases"].push_back(c);
  }
  return out;
}

TEST(EvalConfigFormats, JsonConfigRunsTheSameAsYaml) {
  StubServer stub;
  TempDir dir;
  dir.write("data/cases.jsonl", to_jsonl(generate_cases(40, 3)));
  dir.write("promptbench.yaml", two_prompt_config(stub));
  const json config = {
      {"name", "two-prompts"},
      {"providers",
       {{{"id", "stub"}, {"base_url", stub.base_url()}, {"model", "echo-model"}, {"retries", 0}}}},
      {"prompts",
       {{{"id", "plain"},
         {"template", "Question {{id}}. ANSWER={{answer}}"},
         {"extract", {{"regex", "ANSWER=(.*)"}, {"group", 1}}}},
        {{"id", "chat"},
         {"messages",
          {{{"role", "system"}, {"content", "Case {{id}}: repeat the user's text."}},
           {{"role", "user"}, {"content", "{{answer}}"}}}}}}},
      {"dataset", {{"path", "data/cases.jsonl"}, {"reference", "label"}, {"id", "id"}}},
      {"metrics", {{{"exact_match", {{"normalize", {"trim", "lower"}}}}}}}};
  dir.write("promptbench.json", config.dump(2));

  // Without the cache, so that the second run sends its requests too.
  const auto from_yaml =
      promptbench(dir, {"eval", "promptbench.yaml", "-o", "yaml.json", "-q", "--no-cache"});
  ASSERT_EQ(from_yaml.exit_code, 0) << from_yaml.err;
  const auto from_json =
      promptbench(dir, {"eval", "promptbench.json", "-o", "json.json", "-q", "--no-cache"});
  ASSERT_EQ(from_json.exit_code, 0) << from_json.err;
  EXPECT_EQ(stub.stats()["requests"], 160);
  // Same bodies both times: each of the 80 was sent exactly twice.
  EXPECT_EQ(stub.stats()["unique_bodies"], 80);
  EXPECT_EQ(stub.stats()["max_requests_per_body"], 2);

  const json yaml_report = read_json(dir.path() / "yaml.json");
  const json json_report = read_json(dir.path() / "json.json");
  EXPECT_EQ(json_report["run"]["config_sha256"], sha256_of(dir.path() / "promptbench.json"));
  EXPECT_EQ(json_report["cases"].size(), 40u);
  EXPECT_EQ(timeless(json_report), timeless(yaml_report));
}

// One chat prompt echoing the `answer` field of a CSV dataset.
constexpr const char* kCsvConfig = R"(providers:
  - {id: stub, base_url: @URL@, model: m, retries: 0}
prompts:
  - id: echo
    messages:
      - {role: system, content: "case {{id}}"}
      - {role: user, content: "{{answer}}"}
dataset: {path: data.csv, reference: label, id: id}
)";

TEST(EvalDatasetFormats, CsvWithQuotesCommasNewlinesCrlfAndBomRunsEndToEnd) {
  StubServer stub;
  TempDir dir;
  const std::vector<GeneratedCase> expected = {
      {"c1", "red, green", "red, green"},
      {"c2", "say \"hi\"", "say \"hi\""},
      {"c3", "line one\r\nline two\nline three", "other"},
      {"c4", "", "empty"},
      {"c5", "plain", "plain"},
  };
  dir.write("data.csv",
            "\xEF\xBB\xBFid,answer,label\r\n"
            "c1,\"red, green\",\"red, green\"\r\n"
            "c2,\"say \"\"hi\"\"\",\"say \"\"hi\"\"\"\r\n"
            "c3,\"line one\r\nline two\nline three\",other\r\n"
            "c4,,empty\r\n"
            "c5,plain,plain\r\n");
  dir.write("promptbench.yaml", replace_all(kCsvConfig, "@URL@", stub.base_url()));
  const auto result = promptbench(dir, {"eval", "promptbench.yaml", "-o", "report.json", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(stub.stats()["requests"], 5);
  const json report = read_json(dir.path() / "report.json");
  ASSERT_EQ(report["cases"].size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& c = report["cases"][i];
    SCOPED_TRACE(expected[i].id);
    EXPECT_EQ(c["id"], expected[i].id);
    EXPECT_EQ(c["vars"], (json{{"id", expected[i].id},
                               {"answer", expected[i].answer},
                               {"label", expected[i].label}}));
    EXPECT_EQ(c["reference"], expected[i].label);
    EXPECT_EQ(c["results"][0]["output"], expected[i].answer);
    EXPECT_EQ(c["results"][0]["scores"]["exact_match"],
              expected[i].answer == expected[i].label ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Verbose logging and secrets
// ---------------------------------------------------------------------------------------------

TEST(EvalSecrets, VerboseLogsEveryRequestButNeverTheApiKey) {
  const std::string secret = "sk-secret-123";
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml", replace_all(two_prompt_config(stub), "    retries: 0\n",
                                            "    retries: 0\n    api_key_env: PB_TEST_KEY\n"));
  dir.write("data/cases.jsonl", to_jsonl(generate_cases(25, 11)));
  RunOptions options;
  options.env = {{"PB_TEST_KEY", secret}};
  const auto result =
      promptbench(dir, {"eval", "promptbench.yaml", "-o", "report.json", "-v"}, options);
  ASSERT_EQ(result.exit_code, 0) << result.err;

  const json stats = stub.stats();
  EXPECT_EQ(stats["requests"], 50);
  EXPECT_EQ(stats["authorization_seen"], 50);  // the key was sent with every request
  // One line per finished request (the runner's log; the transport logs nothing itself).
  EXPECT_EQ(count_occurrences(result.err, "promptbench: case "), 50u) << result.err;
  EXPECT_EQ(count_occurrences(result.err, ": HTTP 200 in "), 50u) << result.err;

  EXPECT_THAT(result.out, Not(HasSubstr(secret)));
  EXPECT_THAT(result.err, Not(HasSubstr(secret)));
  // The report, the response cache and anything else the run left behind.
  std::vector<std::string> scanned;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file()) {
      scanned.push_back(std::filesystem::relative(entry.path(), dir.path()).string());
      EXPECT_THAT(read_file(entry.path()), Not(HasSubstr(secret))) << entry.path();
    }
  }
  EXPECT_THAT(scanned, ::testing::IsSupersetOf({"promptbench.yaml", "report.json"}));
}

// ---------------------------------------------------------------------------------------------
// The response cache
// ---------------------------------------------------------------------------------------------

TEST(EvalCache, ARerunAnsweredFromTheCacheSendsNothingAndReportsEveryCase) {
  StubServer stub;
  TempDir dir;
  const std::vector<GeneratedCase> cases = generate_cases(30, 17);
  dir.write("promptbench.yaml", two_prompt_config(stub));
  dir.write("data/cases.jsonl", to_jsonl(cases));
  const auto first = promptbench(dir, {"eval", "promptbench.yaml", "-o", "first.json", "-q"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(stub.stats()["requests"], 60);
  const auto second = promptbench(dir, {"eval", "promptbench.yaml", "-o", "second.json", "-q"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(stub.stats()["requests"], 60);  // nothing new was sent

  const json report = read_json(dir.path() / "second.json");
  EXPECT_EQ(report["run"]["complete"], true);
  for (const json& variant : report["variants"]) {
    EXPECT_EQ(variant["cache_hits"], 30);
    EXPECT_EQ(variant["metrics"]["exact_match"]["n"], 30);
  }
  ASSERT_EQ(report["cases"].size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(report["cases"][i]["id"], cases[i].id);
    EXPECT_EQ(report["cases"][i]["results"][1]["output"], cases[i].answer);
    EXPECT_EQ(report["cases"][i]["results"][1]["cached"], true);
  }
}

}  // namespace
}  // namespace eval_test
}  // namespace promptbench::testing
