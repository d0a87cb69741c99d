// SPDX-License-Identifier: Apache-2.0
// Tests of the test harness and of promptbench-stub over real HTTP on 127.0.0.1 (curl as client).

#include "support/harness.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace harness_test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// A curl client
// ---------------------------------------------------------------------------------------------

struct CurlResult {
  int exit_code = -1;  // curl's exit code: 0 ok, 52 empty reply, 56 receive failure
  int status = 0;      // HTTP status of the final response
  std::string headers;
  std::string body;
  std::string err;
};

// Runs curl with -i and splits its output. --noproxy keeps a proxy in the environment from
// intercepting 127.0.0.1.
CurlResult curl(const std::string& url, const std::optional<std::string>& body = std::nullopt,
                const std::vector<std::string>& extra_args = {}) {
  std::vector<std::string> argv = {"curl", "-sS", "-i", "-N", "--noproxy", "*", "--max-time", "60"};
  RunOptions options;
  if (body) {
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@-"});
    options.stdin_text = *body;
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back(url);
  const ProcessResult process = run_process(argv, options);
  CurlResult result;
  result.exit_code = process.exit_code;
  result.err = process.err;
  const std::size_t head_end = process.out.find("\r\n\r\n");
  if (head_end != std::string::npos) {
    result.headers = process.out.substr(0, head_end + 2);
    result.body = process.out.substr(head_end + 4);
    std::istringstream status_line(result.headers);
    std::string version;
    status_line >> version >> result.status;
  }
  return result;
}

std::string chat_url(const StubServer& stub) {
  return stub.base_url() + "/chat/completions";
}

json user_message(const std::string& content) {
  return {{"role", "user"}, {"content", content}};
}

std::string chat_body(const json& messages, const json& extra = json::object()) {
  json body = {{"model", "test-model"}, {"messages", messages}};
  body.update(extra);
  return body.dump();
}

std::string reply_of(const CurlResult& result) {
  return json::parse(result.body).at("choices").at(0).at("message").at("content");
}

std::vector<int> statuses_of(const StubServer& stub, int count) {
  std::vector<int> statuses;
  for (int i = 0; i < count; ++i) {
    statuses.push_back(curl(chat_url(stub), chat_body(json::array({user_message("hi")}))).status);
  }
  return statuses;
}

// ---------------------------------------------------------------------------------------------
// The harness itself
// ---------------------------------------------------------------------------------------------

TEST(RunProcess, CapturesBothStreamsAndTheExitCode) {
  const auto result = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_FALSE(result.timed_out);
}

TEST(RunProcess, PassesStdinTextToTheChild) {
  RunOptions options;
  options.stdin_text = "line one\nline two\n";
  EXPECT_EQ(run_process({"cat"}, options).out, "line one\nline two\n");
}

TEST(RunProcess, ReadsLargeOutputOnBothStreamsWhileWritingLargeStdin) {
  RunOptions options;
  options.stdin_text = std::string(1'000'000, 'i');
  const auto result =
      run_process({"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' e >&2; cat"}, options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, *options.stdin_text);
  EXPECT_EQ(result.err, std::string(1'000'000, 'e'));
}

TEST(RunProcess, AddsAndRemovesEnvironmentVariables) {
  RunOptions options;
  options.env = {{"PROMPTBENCH_HARNESS_TEST", "added"}};
  options.unset_env = {"HOME"};
  const auto result =
      run_process({"sh", "-c", "echo \"$PROMPTBENCH_HARNESS_TEST ${HOME-unset}\""}, options);
  EXPECT_EQ(result.out, "added unset\n");
}

TEST(RunProcess, RunsInTheGivenWorkingDirectory) {
  TempDir dir;
  RunOptions options;
  options.working_dir = dir.path().string();
  const auto result = run_process({"pwd", "-P"}, options);
  EXPECT_EQ(result.out, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(RunProcess, ReportsDeathBySignalAs128PlusTheSignalNumber) {
  EXPECT_EQ(run_process({"sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
}

TEST(RunProcess, KillsTheChildAndFailsTheTestAfterTheTimeout) {
  static ProcessResult result;
  EXPECT_NONFATAL_FAILURE(
      {
        RunOptions options;
        options.timeout = 200ms;
        result = run_process({"sleep", "30"}, options);
      },
      "did not exit within 200 ms");
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
}

TEST(RunProcess, ThrowsWhenTheProgramDoesNotExist) {
  EXPECT_THROW(run_process({"promptbench-no-such-program"}), std::runtime_error);
  EXPECT_THROW(run_process({"/nonexistent/program"}), std::runtime_error);
}

TEST(ChildProcess, SignalsAndWaitsForItsOwnChild) {
  ChildProcess child;
  child.start({"sleep", "30"});
  EXPECT_GT(child.pid(), 0);
  EXPECT_TRUE(child.is_running());
  EXPECT_TRUE(child.send_signal(SIGTERM));
  const auto result = child.wait();
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_FALSE(child.is_running());
  EXPECT_FALSE(child.send_signal(SIGTERM));
}

TEST(ChildProcess, DestructorKillsAndReapsARunningChild) {
  pid_t pid = -1;
  {
    ChildProcess child;
    child.start({"sleep", "30"});
    pid = child.pid();
  }
  // Signal 0 only probes; the child is gone and reaped, so even a zombie would not answer.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcess, WaitsForOutputWhileRunning) {
  ChildProcess child;
  child.start({"sh", "-c", "echo ready; exec sleep 30"});
  EXPECT_TRUE(child.wait_for_out("ready\n", 10s));
  EXPECT_TRUE(child.is_running());
}

TEST(TempDir, WritesNestedFilesAndRemovesItself) {
  std::filesystem::path root;
  {
    TempDir dir;
    root = dir.path();
    const std::string written = dir.write("a/b/c.txt", "content");
    EXPECT_EQ(written, (root / "a/b/c.txt").string());
    EXPECT_EQ(read_file(written), "content");
  }
  EXPECT_FALSE(std::filesystem::exists(root));
}

TEST(ReadFile, ThrowsForAMissingFile) {
  EXPECT_THROW(read_file("/nonexistent/promptbench/file"), std::runtime_error);
}

TEST(BuildPaths, PointAtExistingFiles) {
  EXPECT_TRUE(std::filesystem::exists(stub_bin())) << stub_bin();
  EXPECT_TRUE(std::filesystem::is_directory(source_dir())) << source_dir();
  EXPECT_FALSE(promptbench_bin().empty());
}

// ---------------------------------------------------------------------------------------------
// promptbench-stub: answers
// ---------------------------------------------------------------------------------------------

TEST(StubServer, EchoesLastUserMessage) {
  StubServer stub;
  const json messages = json::array({{{"role", "system"}, {"content", "be brief"}},
                                     user_message("first question"),
                                     {{"role", "assistant"}, {"content", "first answer"}},
                                     user_message("hello big  world")});
  const auto result = curl(chat_url(stub), chat_body(messages));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(result.status, 200) << result.body;
  const json answer = json::parse(result.body);
  EXPECT_EQ(answer["object"], "chat.completion");
  EXPECT_EQ(answer["id"], "stub-1");
  EXPECT_EQ(answer["model"], "test-model");
  EXPECT_TRUE(answer["created"].is_number_integer());
  EXPECT_EQ(answer["choices"][0]["index"], 0);
  EXPECT_EQ(answer["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "hello big  world");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "stop");
  // 2 + 2 + 2 + 3 whitespace-separated words in all messages; 3 in the reply.
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 9);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 3);
  EXPECT_EQ(answer["usage"]["total_tokens"], 12);
}

bool has_content_encoding(const CurlResult& result) {
  std::string headers = result.headers;
  std::transform(headers.begin(), headers.end(), headers.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return headers.find("\r\ncontent-encoding:") != std::string::npos;
}

TEST(StubServer, CompressesForClientsThatAcceptItUnlessToldNotTo) {
  const std::vector<std::string> accept = {"-H", "Accept-Encoding: gzip, br"};
  const std::string body = chat_body(json::array({user_message("squeeze me")}));
  StubServer compressing;
  const auto compressed = curl(chat_url(compressing), body, accept);
  ASSERT_EQ(compressed.status, 200) << compressed.err;
  EXPECT_TRUE(has_content_encoding(compressed)) << compressed.headers;

  StubServer plain({"--no-compression"});
  const auto answer = curl(chat_url(plain), body, accept);
  ASSERT_EQ(answer.status, 200) << answer.err;
  EXPECT_FALSE(has_content_encoding(answer)) << answer.headers;
  EXPECT_EQ(reply_of(answer), "squeeze me");

  StubServer failing({"--no-compression", "--fail-500", "1"});
  const auto error = curl(chat_url(failing), body, accept);
  ASSERT_EQ(error.status, 500) << error.err;
  EXPECT_FALSE(has_content_encoding(error)) << error.headers;
  EXPECT_EQ(json::parse(error.body)["error"]["type"], "server_error");
}

TEST(StubServer, EchoIgnoresMessagesAfterTheLastUserMessage) {
  StubServer stub;
  const json messages = json::array({user_message("the user said this"),
                                     {{"role", "assistant"}, {"content", "not this"}},
                                     {{"role", "tool"}, {"content", "nor this"}}});
  const auto result = curl(chat_url(stub), chat_body(messages));
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(reply_of(result), "the user said this");
}

TEST(StubServer, ServesTheRouteWithoutTheV1Prefix) {
  StubServer stub;
  const auto result = curl("http://127.0.0.1:" + std::to_string(stub.port()) + "/chat/completions",
                           chat_body(json::array({user_message("no prefix")})));
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(reply_of(result), "no prefix");
}

TEST(StubServer, ReadsTextPartsOfStructuredContent) {
  StubServer stub;
  const json parts = json::array({{{"type", "text"}, {"text", "part one "}},
                                  {{"type", "image_url"}, {"image_url", {{"url", "x"}}}},
                                  {{"type", "text"}, {"text", "part two"}}});
  const auto result =
      curl(chat_url(stub), chat_body(json::array({{{"role", "user"}, {"content", parts}}})));
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(reply_of(result), "part one part two");
}

TEST(StubServer, CountsAtLeastOneCompletionTokenForAnEmptyReply) {
  StubServer stub;
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("")})));
  ASSERT_EQ(result.status, 200);
  const json answer = json::parse(result.body);
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "");
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 0);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 1);
}

TEST(StubServer, SentimentModeAnswersWithASentence) {
  StubServer stub({"--mode", "sentiment"});
  EXPECT_EQ(reply_of(curl(chat_url(stub),
                          chat_body(json::array({user_message("I LOVE this, great film!")})))),
            "The sentiment is positive.");
  EXPECT_EQ(reply_of(curl(chat_url(stub),
                          chat_body(json::array({user_message("Boring. Terrible acting.")})))),
            "The sentiment is negative.");
}

TEST(StubServer, SentimentModeAnswersOneWordWhenAnyMessageAsksForIt) {
  StubServer stub({"--mode", "sentiment"});
  const json in_system = json::array({{{"role", "system"}, {"content", "Answer in ONE WORD."}},
                                      user_message("What a wonderful day")});
  EXPECT_EQ(reply_of(curl(chat_url(stub), chat_body(in_system))), "positive");
  const json in_user = json::array({user_message("In one word: an awful, awful mess")});
  EXPECT_EQ(reply_of(curl(chat_url(stub), chat_body(in_user))), "negative");
}

TEST(StubServer, SentimentTiesAreNegative) {
  StubServer stub({"--mode", "sentiment"});
  EXPECT_EQ(reply_of(curl(chat_url(stub), chat_body(json::array({user_message("good but bad")})))),
            "The sentiment is negative.");
  EXPECT_EQ(reply_of(curl(chat_url(stub), chat_body(json::array({user_message("the movie")})))),
            "The sentiment is negative.");
}

TEST(StubServer, SentimentUsesOnlyTheLastUserMessage) {
  StubServer stub({"--mode", "sentiment"});
  const json messages = json::array({user_message("terrible awful bad"),
                                     {{"role", "assistant"}, {"content", "bad"}},
                                     user_message("excellent")});
  EXPECT_EQ(reply_of(curl(chat_url(stub), chat_body(messages))), "The sentiment is positive.");
}

TEST(StubServer, RejectsABodyWithoutMessages) {
  StubServer stub;
  const auto result = curl(chat_url(stub), R"({"model":"m","prompt":"hi"})");
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(json::parse(result.body),
            json::parse(R"({"error":{"message":"stub: request body has no \"messages\" array",)"
                        R"("type":"invalid_request_error"}})"));
}

TEST(StubServer, RejectsABodyThatIsNotJson) {
  StubServer stub;
  const auto result = curl(chat_url(stub), "{not json");
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(json::parse(result.body)["error"]["message"], "stub: request body is not valid JSON");
}

TEST(StubServer, AnswersUnknownRoutesWithAJsonError) {
  StubServer stub;
  const auto result = curl(stub.base_url() + "/models");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(json::parse(result.body)["error"]["message"], "stub: no route for GET /v1/models");
}

TEST(StubServer, StreamsServerSentEventsWhenAsked) {
  StubServer stub;
  const std::string text = "streamed reply text";
  const auto result =
      curl(chat_url(stub), chat_body(json::array({user_message(text)}), {{"stream", true}}));
  ASSERT_EQ(result.status, 200);
  EXPECT_NE(result.headers.find("Content-Type: text/event-stream"), std::string::npos)
      << result.headers;
  std::vector<std::string> events;
  for (std::size_t pos = 0; pos < result.body.size();) {
    const std::size_t end = result.body.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos) << "unterminated event in " << result.body;
    const std::string event = result.body.substr(pos, end - pos);
    ASSERT_EQ(event.rfind("data: ", 0), 0u) << event;
    events.push_back(event.substr(6));
    pos = end + 2;
  }
  // The role-only chunk, 3 pieces, the finish chunk, [DONE]; usage only when asked for
  // (stream_options.include_usage), as OpenAI does.
  ASSERT_EQ(events.size(), 6u) << result.body;
  EXPECT_EQ(events.back(), "[DONE]");
  const json first = json::parse(events[0]);
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(first["choices"][0]["delta"]["content"], "");
  std::string streamed;
  for (std::size_t i = 1; i + 2 < events.size(); ++i) {
    const json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], "stub-1");
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
    streamed += chunk["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(streamed, text);
  const json last = json::parse(events[events.size() - 2]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(last.contains("usage") && !last["usage"].is_null());
}

TEST(StubServer, WaitsAtLeastTheLatencyBeforeAnswering) {
  StubServer stub({"--latency-ms", "300"});
  const auto start = std::chrono::steady_clock::now();
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("slow")})));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.status, 200);
  EXPECT_GE(elapsed, 300ms);
}

TEST(StubServer, ServesConcurrentSlowRequestsInParallelBeyondTheInitialThreads) {
  StubServer stub({"--latency-ms", "2000", "--threads", "1"});
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<ChildProcess>());
    clients.back()->start({"curl", "-sS", "--noproxy", "*", "--max-time", "60", "-H",
                           "Content-Type: application/json", "--data-binary",
                           chat_body(json::array({user_message("c" + std::to_string(i))})),
                           chat_url(stub)});
  }
  for (auto& client : clients) {
    EXPECT_EQ(client->wait().exit_code, 0);
  }
  EXPECT_EQ(stub.stats()["in_flight_max"], 6);
}

// ---------------------------------------------------------------------------------------------
// promptbench-stub: faults
// ---------------------------------------------------------------------------------------------

TEST(StubServer, FailsEveryRequestWithFail500One) {
  StubServer stub({"--fail-500", "1"});
  for (int i = 0; i < 3; ++i) {
    const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
    EXPECT_EQ(result.status, 500);
    EXPECT_EQ(json::parse(result.body)["error"]["type"], "server_error");
  }
}

TEST(StubServer, SendsRetryAfterSecondsWith429) {
  StubServer stub({"--fail-429", "1", "--retry-after", "7"});
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_EQ(result.status, 429);
  EXPECT_NE(result.headers.find("Retry-After: 7\r\n"), std::string::npos) << result.headers;
  EXPECT_EQ(result.headers.find("retry-after-ms"), std::string::npos);
  EXPECT_EQ(json::parse(result.body)["error"]["type"], "rate_limit_error");
}

TEST(StubServer, SendsRetryAfterMsInsteadWhenAsked) {
  StubServer stub({"--fail-429", "1", "--retry-after-ms", "250"});
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_EQ(result.status, 429);
  EXPECT_NE(result.headers.find("retry-after-ms: 250\r\n"), std::string::npos) << result.headers;
  EXPECT_EQ(result.headers.find("Retry-After:"), std::string::npos);
}

TEST(StubServer, InjectsTheDocumented400) {
  StubServer stub({"--fail-400", "1"});
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.body,
            R"({"error":{"message":"stub: invalid request","type":"invalid_request_error"}})");
}

TEST(StubServer, DropsTheConnectionWithoutAnyResponse) {
  StubServer stub({"--drop", "1"});
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_TRUE(result.exit_code == 52 || result.exit_code == 56) << result.exit_code << result.err;
  EXPECT_EQ(result.status, 0);
  EXPECT_TRUE(result.headers.empty()) << result.headers;
  const json stats = stub.stats();
  EXPECT_EQ(stats["requests"], 1);
  EXPECT_EQ(stats["dropped"], 1);
  EXPECT_EQ(stats["by_status"], json::object());
}

TEST(StubServer, DroppedConnectionGivesARawClientAnEmptyReply) {
  StubServer stub({"--drop", "1"});
  const auto response = http_request(stub.port(), "POST", "/v1/chat/completions",
                                     chat_body(json::array({user_message("x")})));
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.body.empty());
}

TEST(StubServer, SendsAnUnparsable200WhenMalformed) {
  StubServer stub({"--malformed", "1"});
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_EQ(result.status, 200);
  EXPECT_FALSE(result.body.empty());
  EXPECT_FALSE(json::accept(result.body)) << result.body;
  const json stats = stub.stats();
  EXPECT_EQ(stats["malformed"], 1);
  EXPECT_EQ(stats["by_status"]["200"], 1);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 0);
}

TEST(StubServer, FailsOnlyTheFirstRequestsWithFailFirst) {
  StubServer stub({"--fail-first", "2"});
  EXPECT_EQ(statuses_of(stub, 4), (std::vector<int>{500, 500, 200, 200}));
}

TEST(StubServer, GivesTheSameFaultSequenceForTheSameSeed) {
  const std::vector<std::string> args = {"--fail-500", "0.5", "--seed", "42"};
  StubServer first(args);
  StubServer second(args);
  const auto sequence = statuses_of(first, 12);
  EXPECT_EQ(statuses_of(second, 12), sequence);
  // Both outcomes occur, so the sequence really depends on the PRNG.
  EXPECT_NE(std::count(sequence.begin(), sequence.end(), 500), 0);
  EXPECT_NE(std::count(sequence.begin(), sequence.end(), 200), 0);
}

TEST(StubServer, ReplaysTheFaultSequenceAfterReset) {
  StubServer stub({"--fail-429", "0.5", "--seed", "7"});
  const auto sequence = statuses_of(stub, 12);
  stub.reset();
  EXPECT_EQ(statuses_of(stub, 12), sequence);
}

// ---------------------------------------------------------------------------------------------
// promptbench-stub: counters, files, lifecycle
// ---------------------------------------------------------------------------------------------

TEST(StubServer, CountsAKnownSequenceOfRequests) {
  StubServer stub;
  const std::string a = chat_body(json::array({user_message("body a")}));
  const std::string b = chat_body(json::array({user_message("body b")}));
  curl(chat_url(stub), a, {"-H", "Authorization: Bearer test-key"});
  curl(chat_url(stub), a);
  curl(chat_url(stub), a);
  curl(chat_url(stub), b, {"-H", "Authorization: Bearer test-key"});
  curl(chat_url(stub), R"({"model":"m"})");
  const json stats = stub.stats();
  EXPECT_EQ(stats["requests"], 5);
  EXPECT_EQ(stats["by_status"], json::parse(R"({"200":4,"400":1})"));
  EXPECT_EQ(stats["dropped"], 0);
  EXPECT_EQ(stats["malformed"], 0);
  EXPECT_EQ(stats["unique_bodies"], 3);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 1);
  EXPECT_EQ(stats["max_requests_per_body"], 3);
  EXPECT_EQ(stats["authorization_seen"], 2);
  EXPECT_EQ(stats["in_flight_max"], 1);
}

TEST(StubServer, DoesNotCountFailedAnswersAsOk) {
  StubServer stub({"--fail-first", "1"});
  const std::string a = chat_body(json::array({user_message("retried")}));
  EXPECT_EQ(curl(chat_url(stub), a).status, 500);
  EXPECT_EQ(curl(chat_url(stub), a).status, 200);
  const json stats = stub.stats();
  EXPECT_EQ(stats["max_requests_per_body"], 2);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 0);
}

TEST(StubServer, ResetZeroesAllCounters) {
  StubServer stub;
  curl(chat_url(stub), chat_body(json::array({user_message("x")})),
       {"-H", "Authorization: Bearer k"});
  curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  ASSERT_EQ(stub.stats()["requests"], 2);
  stub.reset();
  EXPECT_EQ(stub.stats(), json::parse(R"({"requests":0,"by_status":{},"dropped":0,"malformed":0,
      "unique_bodies":0,"bodies_answered_ok_more_than_once":0,"max_requests_per_body":0,
      "authorization_seen":0,"in_flight_max":0,
      "by_route":{"chat":0,"messages":0,"generate":0},"rate_limited":0,"stream_errors":0,
      "overloaded":0})"));
  // Request ids restart too.
  const auto result = curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  EXPECT_EQ(json::parse(result.body)["id"], "stub-1");
}

TEST(StubServer, WritesTheChosenPortToThePortFile) {
  TempDir dir;
  const auto port_file = dir.path() / "port";
  StubServer stub({"--port-file", port_file.string()});
  EXPECT_EQ(read_file(port_file), std::to_string(stub.port()) + "\n");
}

TEST(StubServer, WritesTheStatsFileOnShutdown) {
  TempDir dir;
  const auto stats_file = dir.path() / "stats.json";
  StubServer stub({"--stats-file", stats_file.string()});
  curl(chat_url(stub), chat_body(json::array({user_message("x")})));
  const auto result = stub.stop();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json stats = json::parse(read_file(stats_file));
  EXPECT_EQ(stats["requests"], 1);
  EXPECT_EQ(stats["by_status"]["200"], 1);
}

TEST(StubServer, ExitsCleanlyOnSigint) {
  StubServer stub;
  ASSERT_TRUE(stub.process().send_signal(SIGINT));
  const auto result = stub.process().wait();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "listening on 127.0.0.1:" + std::to_string(stub.port()) + "\n");
}

TEST(StubServer, HelpDocumentsEveryOption) {
  const auto result = run_process({stub_bin(), "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--host", "--port", "--port-file", "--stats-file", "--threads",
                             "--max-threads", "--backlog", "--keep-alive-timeout", "--latency-ms",
                             "--mode", "--seed", "--fail-500", "--fail-429", "--fail-400", "--drop",
                             "--malformed", "--retry-after", "--retry-after-ms", "--fail-first"}) {
    EXPECT_NE(result.out.find(option), std::string::npos) << option;
  }
}

TEST(StubServer, RejectsAProbabilityOutsideZeroToOne) {
  const auto result = run_process({stub_bin(), "--fail-500", "1.5"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--fail-500"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace harness_test
}  // namespace promptbench::testing
