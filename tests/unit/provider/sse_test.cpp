// SPDX-License-Identifier: Apache-2.0
// Server-sent events as the WHATWG standard reads them, arrival times, the shared streaming
// options and the advice for an error event in a 200 stream.
#include <gtest/gtest.h>

#include "promptbench/provider.hpp"
#include "provider/answer.hpp"
#include "provider/sse.hpp"

namespace promptbench {
namespace {

TEST(Sse, DispatchesAnEventAtEachBlankLineWithItsEndOffset) {
  const std::string body = "data: a\n\ndata: bc\n\n";
  const auto events = parse_sse(body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[0].end, 9u);
  EXPECT_EQ(events[1].data, "bc");
  EXPECT_EQ(events[1].end, body.size());
}

TEST(Sse, JoinsDataLinesWithNewlines) {
  const auto events = parse_sse("data: one\ndata:\ndata: three\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "one\n\nthree");
}

TEST(Sse, ReadsEventNamesAndSkipsComments) {
  const auto events =
      parse_sse(": keep-alive\n\nevent: error\n: note\ndata: {}\n\ndata: after\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "error");
  EXPECT_EQ(events[0].data, "{}");
  EXPECT_EQ(events[1].event, "message") << "the name does not outlive its event";
}

TEST(Sse, AcceptsCrLfAndCrLineEnds) {
  const std::string body = "event: x\r\ndata: a\r\n\r\ndata: b\r\rdata: c\n\n";
  const auto events = parse_sse(body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "x");
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[0].end, 21u);
  EXPECT_EQ(events[1].data, "b");
  EXPECT_EQ(events[1].end, 30u);
  EXPECT_EQ(events[2].data, "c");
  EXPECT_EQ(events[2].end, body.size());
}

TEST(Sse, RemovesOnlyOneSpaceAfterTheColon) {
  const auto events = parse_sse("data:  two\n\ndata:none\n\ndata\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, " two");
  EXPECT_EQ(events[1].data, "none");
  EXPECT_EQ(events[2].data, "") << "a field name alone is a data line with no value";
}

TEST(Sse, ABlockWithoutDataDispatchesNothing) {
  const auto events = parse_sse("event: ping\nid: 7\nretry: 100\n\ndata: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "x");
}

TEST(Sse, DropsTheIncompleteLastEvent) {
  EXPECT_EQ(parse_sse("data: a\n\ndata: b\n").size(), 1u);
  EXPECT_EQ(parse_sse("data: a\n\ndata: b").size(), 1u);
  EXPECT_TRUE(parse_sse("data: a").empty());
  EXPECT_TRUE(parse_sse("").empty());
}

TEST(Sse, SkipsALeadingByteOrderMark) {
  const auto events = parse_sse(
      "\xEF\xBB\xBF"
      "data: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(Sse, KeepsUtf8DataAsItIs) {
  const auto events = parse_sse("data: Grüße 世界 🙂\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "Grüße 世界 🙂");
}

TEST(Sse, ArrivalOfAnOffsetIsTheFirstPartReachingIt) {
  const std::vector<BodyArrival> arrivals = {{10, 5.0}, {25, 7.5}, {40, 9.0}};
  EXPECT_EQ(arrival_ms(arrivals, 0), 5.0);
  EXPECT_EQ(arrival_ms(arrivals, 10), 5.0);
  EXPECT_EQ(arrival_ms(arrivals, 11), 7.5);
  EXPECT_EQ(arrival_ms(arrivals, 40), 9.0);
  EXPECT_EQ(arrival_ms(arrivals, 41), std::nullopt);
  EXPECT_EQ(arrival_ms({}, 3), std::nullopt);
}

TEST(Sse, StreamOptionsHaveDefaultsAndCheckTheirKinds) {
  const StreamOptions none = read_stream_options(nlohmann::json::object());
  EXPECT_FALSE(none.stream);
  EXPECT_EQ(none.idle_timeout, std::chrono::seconds(30));
  const StreamOptions set = read_stream_options({{"stream", true}, {"idle_timeout", "500ms"}});
  EXPECT_TRUE(set.stream);
  EXPECT_EQ(set.idle_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(read_stream_options({{"idle_timeout", 2}}).idle_timeout, std::chrono::seconds(2));
  EXPECT_EQ(read_stream_options({{"idle_timeout", "0s"}}).idle_timeout.count(), 0);
  try {
    (void)read_stream_options({{"stream", "yes"}});
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "stream");
    EXPECT_EQ(std::string(e.what()), "expected true or false, got string");
  }
  try {
    (void)read_stream_options({{"idle_timeout", "soon"}});
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "idle_timeout");
    EXPECT_EQ(std::string(e.what()), "expected a duration like 30s, 500ms or 2m, got \"soon\"");
  }
  EXPECT_THROW((void)read_stream_options({{"idle_timeout", -1}}), OptionError);
}

TEST(Sse, FindsTheServersErrorInEitherForm) {
  const auto named = find_stream_failure(parse_sse(
      "data: {\"x\":1}\n\nevent: error\ndata: "
      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
      "\n\n"));
  ASSERT_TRUE(named);
  EXPECT_EQ(named->type, "overloaded_error");
  EXPECT_EQ(named->message, "Overloaded");
  const auto chunk = find_stream_failure(
      parse_sse("data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"));
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->message, "boom");
  const auto bare = find_stream_failure(parse_sse("event: error\ndata: it broke\n\n"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->message, "it broke");
  EXPECT_FALSE(find_stream_failure(parse_sse("data: {\"text\":\"\\\"error\\\"\"}\n\n")));
}

TEST(Sse, AdvisesBackoffForTheServersTransientErrorsOnly) {
  const auto body = [](const std::string& type) {
    return "data: {\"choices\":[]}\n\nevent: error\ndata: {\"error\":{\"type\":\"" + type +
           "\",\"message\":\"m\"}}\n\n";
  };
  EXPECT_EQ(stream_failure_advice(body("overloaded_error")), RetryAdvice::back_off);
  EXPECT_EQ(stream_failure_advice(body("rate_limit_error")), RetryAdvice::back_off);
  EXPECT_EQ(stream_failure_advice(body("api_error")), RetryAdvice::back_off);
  EXPECT_EQ(stream_failure_advice(body("server_error")), RetryAdvice::back_off);
  EXPECT_EQ(stream_failure_advice(body("invalid_request_error")), RetryAdvice::retry);
  EXPECT_EQ(stream_failure_advice("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"), std::nullopt);
  EXPECT_EQ(stream_failure_advice(R"({"error":{"type":"overloaded_error"}})"), std::nullopt)
      << "a JSON document is not a stream";
}

TEST(Sse, ToolArgumentsAreParsedWhenTheyAreJson) {
  EXPECT_EQ(tool_arguments(R"({"city":"Paris"})"), nlohmann::json({{"city", "Paris"}}));
  EXPECT_EQ(tool_arguments(R"({"city":"Par)"), nlohmann::json(R"({"city":"Par)"));
  const std::string deep = std::string(500, '[') + std::string(500, ']');
  EXPECT_EQ(tool_arguments(deep), nlohmann::json(deep)) << "too deep to keep as a value";
}

TEST(Sse, QuotesTheStartOfABody) {
  EXPECT_EQ(quoted_start(""), "(empty)");
  EXPECT_EQ(quoted_start("a\nb"), "'a b'");
  EXPECT_EQ(quoted_start(std::string(70, 'x')), "'" + std::string(60, 'x') + "...'");
}

}  // namespace
}  // namespace promptbench
