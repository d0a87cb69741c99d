// SPDX-License-Identifier: Apache-2.0
// The response cache: keys without credentials, round trips, sharing, bad files.
#include <gtest/gtest.h>

#include "promptbench/cache.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

HttpRequest request_with_key(const std::string& key) {
  HttpRequest request;
  request.url = "http://127.0.0.1:8080/v1/chat/completions";
  request.headers = {{"Content-Type", "application/json", false},
                     {"Authorization", "Bearer " + key, true}};
  request.body = R"({"messages":[{"content":"hi","role":"user"}],"model":"m"})";
  return request;
}

TEST(CacheKey, IgnoresCredentialsButNotTheRequestOrTheRepeat) {
  const std::string a = cache_key(request_with_key("sk-one"), 0);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a, cache_key(request_with_key("sk-two"), 0));
  EXPECT_NE(a, cache_key(request_with_key("sk-one"), 1));
  HttpRequest other = request_with_key("sk-one");
  other.body += " ";
  EXPECT_NE(a, cache_key(other, 0));
  other = request_with_key("sk-one");
  other.url = "http://127.0.0.1:8081/v1/chat/completions";
  EXPECT_NE(a, cache_key(other, 0));
}

TEST(ResponseCache, StoresAndReturnsAnswersAcrossHandles) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "sub" / "cache.db";
  HttpResponse answer;
  answer.status = 200;
  answer.body = std::string("{\"x\":\"\0binary\"}", 15);
  answer.latency_ms = 12.5;
  {
    ResponseCache cache(path);
    EXPECT_FALSE(cache.get("k1").has_value());
    cache.put("k1", answer);
  }
  ResponseCache reader(path);
  ResponseCache writer(path);  // a second handle on the same file, as a second process has
  writer.put("k2", answer);
  writer.commit();
  const auto found = reader.get("k1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, 200);
  EXPECT_EQ(found->body, answer.body);
  EXPECT_DOUBLE_EQ(found->latency_ms, 12.5);
  EXPECT_TRUE(reader.get("k2").has_value());
}

TEST(ResponseCache, StagedAnswersAreSeenAtOnceHereAndElsewhereOnlyOnceCommitted) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  HttpResponse first;
  first.status = 200;
  first.body = "first";
  HttpResponse second = first;
  second.body = "second";
  ResponseCache writer(path);
  ResponseCache other(path);
  writer.put("k", first);
  writer.put("k", second);  // the later answer wins, as INSERT OR REPLACE does once written
  EXPECT_EQ(writer.staged(), 2u);
  ASSERT_TRUE(writer.get("k").has_value());
  EXPECT_EQ(writer.get("k")->body, "second");
  EXPECT_FALSE(other.get("k").has_value());

  writer.commit();
  EXPECT_EQ(writer.staged(), 0u);
  ASSERT_TRUE(other.get("k").has_value());
  EXPECT_EQ(other.get("k")->body, "second");
  writer.commit();  // nothing staged: nothing to do
}

TEST(ResponseCache, ClosingAHandleCommitsWhatIsStaged) {
  testing::ScratchDir dir;
  const auto path = dir.path() / "cache.db";
  HttpResponse answer;
  answer.status = 200;
  answer.body = "kept";
  {
    ResponseCache cache(path);
    cache.put("k", answer);
  }
  ResponseCache reader(path);
  ASSERT_TRUE(reader.get("k").has_value());
  EXPECT_EQ(reader.get("k")->body, "kept");
}

TEST(ResponseCache, RefusesAFileThatIsNotADatabase) {
  testing::ScratchDir dir;
  const auto path =
      dir.write("notes.db", "these are not the bytes of a SQLite database, at all....");
  try {
    ResponseCache cache(path);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() + ": cannot use the cache: file is not a database");
  }
}

}  // namespace
}  // namespace promptbench
