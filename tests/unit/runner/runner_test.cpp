// SPDX-License-Identifier: Apache-2.0
// The runner end to end over a fake transport: scores, errors, report layout, early stop.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "promptbench/runner.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

/// Answers like an OpenAI endpoint that echoes the last message; "FAIL" gives a 500 and
/// "GARBAGE" a body that is not JSON.
TransferResult echo(const HttpRequest& request) {
  const auto body = nlohmann::json::parse(request.body);
  const std::string text = body["messages"].back()["content"];
  HttpResponse response;
  response.latency_ms = 5;
  if (text == "FAIL") {
    response.status = 500;
    response.body = R"({"error":{"message":"boom"}})";
  } else if (text == "GARBAGE") {
    response.status = 200;
    response.body = "{not json";
  } else {
    response.status = 200;
    response.body = nlohmann::json{{"choices", {{{"message", {{"content", text}}}}}},
                                   {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 1}}}}
                        .dump();
  }
  return response;
}

class Runner : public ::testing::Test {
 protected:
  Config write_config(const std::string& rows) {
    m_dir.write("data.jsonl", rows);
    return load_config(m_dir.write("cfg.yaml", R"(name: demo
providers: [{id: local, base_url: "http://127.0.0.1:1/v1", model: m}]
prompts:
  - {id: plain, template: "{{answer}}"}
  - {id: shout, template: "{{answer}}!"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics: [exact_match, {contains: {name: has_label}}, latency]
gates: [{metric: exact_match, min: 0.5}]
)"));
  }

  nlohmann::json read_report() const {
    std::ifstream in(m_dir.path() / "report.json");
    return nlohmann::json::parse(in);
  }

  RunOptions options() const {
    RunOptions run;
    run.output = m_dir.path() / "report.json";
    run.clock = &m_clock;  // backoff and rate limits pass without sleeping
    return run;
  }

  testing::ScratchDir m_dir;
  mutable testing::FakeClock m_clock;
};

TEST_F(Runner, ScoresEveryCaseOfEveryVariantAndWritesTheReport) {
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"yes\", \"label\": \"yes\"}\n"
      "{\"id\": \"b\", \"answer\": \"no\", \"label\": \"yes\"}\n"
      "{\"id\": \"c\", \"answer\": \"yes\", \"label\": [\"no\", \"yes\"]}\n"
      "{\"id\": \"d\", \"answer\": \"maybe\", \"label\": \"no\"}\n");
  testing::FakeTransport transport(echo);
  transport.finish_per_poll = 3;
  const ReportSummary summary = run_eval(config, options(), transport);

  EXPECT_EQ(transport.started.size(), 8u);
  ASSERT_EQ(summary.variants.size(), 2u);
  EXPECT_EQ(summary.variants[0].id, "plain/local");
  EXPECT_DOUBLE_EQ(summary.variants[0].metrics[0].mean, 0.5);  // a, c
  EXPECT_DOUBLE_EQ(summary.variants[1].metrics[0].mean, 0.0);  // "yes!" != "yes"
  EXPECT_DOUBLE_EQ(summary.variants[1].metrics[1].mean, 0.5);  // but contains it
  EXPECT_EQ(summary.variants[0].prompt_tokens, 12);

  const auto report = read_report();
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_EQ(report["run"]["complete"], true);
  EXPECT_EQ(report["run"]["dataset"]["cases"], 4);
  EXPECT_EQ(report["variants"][1]["metrics"]["has_label"]["mean"], 0.5);
  EXPECT_EQ(report["variants"][0]["metrics"]["latency"]["higher_is_better"], false);
  ASSERT_EQ(report["cases"].size(), 4u);
  const std::vector<std::string> ids = {report["cases"][0]["id"], report["cases"][1]["id"],
                                        report["cases"][2]["id"], report["cases"][3]["id"]};
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "d"}));
  const auto& first = report["cases"][0]["results"][1];
  EXPECT_EQ(first["variant"], "shout/local");
  EXPECT_EQ(first["output"], "yes!");
  EXPECT_EQ(first["scores"]["exact_match"], 0);
  EXPECT_EQ(first["scores"]["has_label"], 1);
  EXPECT_EQ(report["gates"][0]["passed"], true);
  EXPECT_EQ(report["gates"][1]["passed"], false);
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json.cases.tmp"));
}

TEST_F(Runner, RecordsHttpAndParseErrorsOnTheCaseWithoutScoringThem) {
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"FAIL\", \"label\": \"x\"}\n"
      "{\"id\": \"b\", \"answer\": \"GARBAGE\", \"label\": \"x\"}\n"
      "{\"id\": \"c\", \"answer\": \"x\", \"label\": \"x\"}\n");
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.prompt_ids = {"plain"};
  const ReportSummary summary = run_eval(config, run, transport);
  ASSERT_EQ(summary.variants.size(), 1u);
  EXPECT_EQ(summary.variants[0].errors, 2u);
  EXPECT_EQ(summary.variants[0].metrics[0].n, 1u);
  EXPECT_DOUBLE_EQ(summary.variants[0].metrics[0].mean, 1.0);
  const auto report = read_report();
  const auto& failed = report["cases"][0]["results"][0]["error"];
  EXPECT_EQ(failed["kind"], "http_status");
  EXPECT_EQ(failed["status"], 500);
  EXPECT_EQ(failed["message"], "HTTP 500: boom");
  EXPECT_EQ(report["cases"][1]["results"][0]["error"]["kind"], "bad_response");
  EXPECT_TRUE(report["cases"][0]["results"][0]["scores"].empty());
  // The run tallies them for its exit code, with the earliest case's failure in full.
  const RunErrors& errors = summary.run.errors;
  EXPECT_EQ(errors.requests.failed, 2u);
  EXPECT_EQ(errors.requests.total, 3u);
  EXPECT_EQ(errors.requests.by_kind.at("http_status"), 1u);
  EXPECT_EQ(errors.requests.by_kind.at("bad_response"), 1u);
  ASSERT_TRUE(errors.requests.first);
  EXPECT_EQ(errors.requests.first->case_id, "a");
  EXPECT_EQ(errors.requests.first->message, "HTTP 500: boom");
  EXPECT_TRUE(errors.exceed_allowance());  // none allowed by default
  EXPECT_TRUE(summary.run.complete);       // ... and the run still went to the end
  EXPECT_EQ(report["run"]["errors"]["failed"], 2);
  // The gate covers three results, two unscored: it fails though the third scored 1.
  ASSERT_EQ(summary.gates.size(), 1u);
  EXPECT_FALSE(summary.gates[0].passed);
  EXPECT_EQ(summary.gates[0].unscored, 2u);
}

TEST_F(Runner, StopsOnceTheConfiguredAllowanceIsExceeded) {
  std::string rows;
  for (int i = 0; i < 50; ++i) {
    rows += "{\"id\": \"" + std::to_string(i) + "\", \"answer\": \"FAIL\", \"label\": \"x\"}\n";
  }
  Config config = write_config(rows);
  config.max_errors = Allowance{3, std::nullopt};
  config.providers[0].retries = 0;  // each FAIL is final at once (no real backoff to sleep)
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.concurrency = 1;
  run.prompt_ids = {"plain"};
  const ReportSummary summary = run_eval(config, run, transport);
  EXPECT_FALSE(summary.run.complete);
  EXPECT_EQ(summary.run.stop_reason, "max_errors");
  EXPECT_EQ(summary.run.errors.failed(), 4u);
  EXPECT_EQ(summary.run.errors.allowed, 3u);
  // One at a time: the fourth failure stops the run; the engine may already have started the
  // fifth request in the step that returned the fourth.
  EXPECT_GE(transport.started.size(), 4u);
  EXPECT_LE(transport.started.size(), 5u);
  EXPECT_EQ(summary.run.cases_evaluated, summary.variants[0].cases);
  // --max-errors wins over the config: 10% of 50 requests.
  run.max_errors = Allowance{0, 10.0};
  EXPECT_EQ(run_eval(config, run, transport).run.errors.allowed, 5u);
}

TEST_F(Runner, HonoursLimitAndFilters) {
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"1\", \"label\": \"1\"}\n"
      "{\"id\": \"b\", \"answer\": \"2\", \"label\": \"2\"}\n"
      "{\"id\": \"c\", \"answer\": \"3\", \"label\": \"3\"}\n");
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.limit = 2;
  run.prompt_ids = {"shout"};
  const ReportSummary summary = run_eval(config, run, transport);
  EXPECT_EQ(transport.started.size(), 2u);
  EXPECT_EQ(summary.variants[0].id, "shout/local");
  EXPECT_EQ(read_report()["cases"].size(), 2u);
}

TEST_F(Runner, RejectsAFilterThatMatchesNothing) {
  const Config config = write_config("{\"id\": \"a\", \"answer\": \"1\", \"label\": \"1\"}\n");
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.prompt_ids = {"shuot"};
  try {
    (void)run_eval(config, run, transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--prompt 'shuot' matches no prompt in the config (did you mean 'shout'?)");
  }
  EXPECT_TRUE(transport.started.empty());
}

TEST_F(Runner, StopsEarlyAndKeepsThePartialReportWhenTheEndpointRefusesConnections) {
  std::string rows;
  for (int i = 0; i < 50; ++i) {
    rows += "{\"id\": \"" + std::to_string(i) + "\", \"answer\": \"x\", \"label\": \"x\"}\n";
  }
  const Config config = write_config(rows);
  testing::FakeTransport transport([](const HttpRequest&) -> TransferResult {
    return tl::unexpected(RequestError{ErrorKind::network, 0, "Connection refused", true});
  });
  try {
    (void)run_eval(config, options(), transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              (m_dir.path() / "cfg.yaml").string() +
                  ":2:35: providers[0].base_url: cannot connect to http://127.0.0.1:1/v1 "
                  "(provider 'local'): Connection refused");
  }
  EXPECT_LT(transport.started.size(), 100u);
  EXPECT_EQ(read_report()["run"]["complete"], false);
}

TEST_F(Runner, StopsBeforeSendingAnythingWhenARowLacksATemplateVariable) {
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"1\", \"label\": \"1\"}\n"
      "{\"id\": \"b\", \"answr\": \"2\", \"label\": \"2\"}\n");
  testing::FakeTransport transport(echo);
  try {
    (void)run_eval(config, options(), transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        (m_dir.path() / "cfg.yaml").string() +
            ":4:27: prompt 'plain': case 'b' has no variable 'answer' (did you mean 'answr'?)");
  }
  EXPECT_TRUE(transport.started.empty());
}

}  // namespace
}  // namespace promptbench

namespace promptbench {
namespace {

TEST_F(Runner, RejectsADuplicateCaseIdAtItsSecondRow) {
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"1\", \"label\": \"1\"}\n"
      "{\"id\": \"b\", \"answer\": \"2\", \"label\": \"2\"}\n"
      "{\"id\": \"a\", \"answer\": \"3\", \"label\": \"3\"}\n");
  testing::FakeTransport transport(echo);
  try {
    (void)run_eval(config, options(), transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              (m_dir.path() / "data.jsonl").string() + ":3: duplicate case id 'a'");
  }
  EXPECT_TRUE(transport.started.empty());
}

std::string numbered_rows(std::size_t n) {
  std::string rows;
  for (std::size_t i = 0; i < n; ++i) {
    rows += fmt::format("{{\"id\": \"r{}\", \"answer\": \"{}\", \"label\": \"{}\"}}\n", i, i,
                        i % 3 == 0 ? "x" : std::to_string(i));
  }
  return rows;
}

TEST_F(Runner, RunsOnlyTheSelectedCasesKeepingTheirIndexAndRecordsTheSelection) {
  const Config config = write_config(numbered_rows(30));
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.prompt_ids = {"plain"};
  run.selection.pattern = "^r1";  // r1, r10..r19
  run.selection.sample = 4;
  run.selection.seed = 9;
  const ReportSummary summary = run_eval(config, run, transport);
  EXPECT_EQ(transport.started.size(), 4u);
  const auto report = read_report();
  EXPECT_EQ(report["run"]["dataset"]["cases"], 30);
  EXPECT_EQ(report["run"]["shard"]["cases"], 4);
  EXPECT_EQ(report["run"]["selection"],
            nlohmann::json::parse(R"({"pattern":"^r1","sample":4,"seed":9,"cases":4})"));
  ASSERT_EQ(report["cases"].size(), 4u);
  for (const auto& selected : report["cases"]) {
    const std::string id = selected["id"];
    EXPECT_EQ(id.rfind("r1", 0), 0u) << id;
    EXPECT_EQ(selected["index"], std::stoi(id.substr(1)));  // its dataset position
  }
  // The statistics are over the selected cases: the rest of the dataset is not unscored.
  EXPECT_EQ(summary.variants[0].metrics[0].unscored, 0u);
  EXPECT_EQ(summary.gates[0].unscored, 0u);
}

TEST_F(Runner, SelectionComesAfterTheLimitAndBeforeTheShard) {
  const Config config = write_config(numbered_rows(40));
  RunOptions run = options();
  run.selection.pattern = "[02468]$";  // the even rows
  run.limit = 20;
  const auto variants = plan_variants(config, {}, {});
  const Preflight whole = preflight(config, variants, run.limit, {}, run.selection);
  EXPECT_EQ(whole.cases, 20u);
  EXPECT_EQ(whole.selected_cases, 10u);
  EXPECT_EQ(whole.first_selected, (std::vector<std::string>{"r0", "r2", "r4", "r6", "r8"}));
  std::size_t in_shards = 0;
  for (std::size_t index = 0; index < 3; ++index) {
    const Preflight part = preflight(config, variants, run.limit, Shard{index, 3}, run.selection);
    EXPECT_EQ(part.selected_cases, 10u);
    in_shards += part.shard_cases;
  }
  EXPECT_EQ(in_shards, 10u);
}

TEST_F(Runner, RejectsAnUnknownCaseIdAndASelectionOfNothingBeforeSendingAnything) {
  const Config config = write_config(numbered_rows(5));
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.selection.ids = {"r1", "r9"};
  try {
    (void)run_eval(config, run, transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "--case r9: no such case id");
  }
  run.selection.ids = {"r1"};
  run.selection.pattern = "^r2";
  try {
    (void)run_eval(config, run, transport);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "the selection (--case r1, --case-pattern ^r2) selects none of the 5 cases");
  }
  EXPECT_TRUE(transport.started.empty());
}

TEST_F(Runner, RendersOnlyTheSelectedCases) {
  // The second row lacks the template's variable: unselected, it cannot stop the run.
  const Config config = write_config(
      "{\"id\": \"a\", \"answer\": \"1\", \"label\": \"1\"}\n"
      "{\"id\": \"b\", \"label\": \"2\"}\n");
  testing::FakeTransport transport(echo);
  RunOptions run = options();
  run.selection.ids = {"a"};
  EXPECT_EQ(run_eval(config, run, transport).run.cases_evaluated, 1u);
}

}  // namespace
}  // namespace promptbench
