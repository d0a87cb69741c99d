// SPDX-License-Identifier: Apache-2.0
// The writer promises nlohmann's bytes: every test holds it against dump().
#include "util/json_writer.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace promptbench::util {
namespace {

std::string nlohmann_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string written_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string written_number(double value) {
  std::string out;
  append_json_number(out, value);
  return out;
}

TEST(JsonWriterString, EscapesAsNlohmannDoes) {
  const std::vector<std::string> texts = {
      "",
      "plain",
      "quote \" and backslash \\",
      "tab\tnewline\ncr\rformfeed\fbackspace\b",
      std::string("nul \0 inside", 12),
      "\x01\x1f\x7f",
      "grüße, 日本語, emoji 😀",
      "/ is not escaped",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(written_string(text), nlohmann_text(text)) << text;
  }
}

TEST(JsonWriterString, ReplacesInvalidUtf8WhereNlohmannDoes) {
  const std::vector<std::string> texts = {
      "\xff",
      "ok \xc3 then ascii",
      "\xe6\x97 truncated",
      "overlong \xc0\xaf",
      "surrogate \xed\xa0\x80",
      "valid é then bad \xfe\"quoted\"",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(written_string(text), nlohmann_text(text)) << text;
  }
}

TEST(JsonWriterString, MatchesNlohmannOnRandomBytes) {
  std::mt19937 random(20261202);
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    std::string text(static_cast<std::size_t>(length(random)), '\0');
    for (char& c : text) {
      c = static_cast<char>(byte(random));
    }
    ASSERT_EQ(written_string(text), nlohmann_text(text)) << "round " << round;
  }
}

TEST(JsonWriterNumber, DoublesAsNlohmannWritesThem) {
  const std::vector<double> values = {0.0,   -0.0,   1.0,       0.5,    1.0 / 3.0, 123456789.0,
                                      1e15,  1e16,   1e21,      1e-5,   0.0001,    -2.5e-300,
                                      1e308, 5e-324, 0.1 + 0.2, 42.125, 1e100,     -7.0};
  for (const double value : values) {
    EXPECT_EQ(written_number(value), nlohmann_text(value)) << value;
  }
  EXPECT_EQ(written_number(std::nan("")), "null");
  EXPECT_EQ(written_number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(nlohmann_text(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterNumber, RandomDoublesMatch) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  for (int round = 0; round < 20000; ++round) {
    const double value =
        round % 2 == 0 ? uniform(random) : std::ldexp(uniform(random), round % 200 - 100);
    ASSERT_EQ(written_number(value), nlohmann_text(value)) << value;
  }
}

TEST(JsonWriterNumber, IntegersMatch) {
  for (const std::int64_t value :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    std::string out;
    append_json_number(out, value);
    EXPECT_EQ(out, nlohmann_text(value));
  }
  std::string out;
  append_json_number(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out, nlohmann_text(std::numeric_limits<std::uint64_t>::max()));
}

TEST(JsonWriter, PlacesCommasInNestedContainers) {
  std::string out = "prefix ";
  JsonWriter json(out);
  json.begin_object();
  json.key("a");
  json.begin_array();
  json.end_array();
  json.key("b");
  json.begin_array();
  json.number(1);
  json.begin_object();
  json.end_object();
  json.string_or_null(std::nullopt);
  json.boolean(false);
  json.end_array();
  json.key("c");
  json.value(nlohmann::json{{"z", 1}, {"a", {1, 2}}});
  json.key("d");
  json.number_or_null(std::optional<double>(2.0));
  json.key("e");
  json.raw("[true]");
  json.end_object();
  EXPECT_EQ(out,
            R"(prefix {"a":[],"b":[1,{},null,false],"c":{"a":[1,2],"z":1},"d":2.0,"e":[true]})");
  EXPECT_EQ(nlohmann::json::parse(out.substr(7)).dump(), out.substr(7));
}

/// A random tree of every kind of value, strings with random bytes included.
template <typename Json>
Json random_tree(std::mt19937& random, int depth) {
  const auto text = [&random] {
    std::string out(random() % 6, '\0');
    for (char& c : out) {
      c = static_cast<char>(random() % 4 == 0 ? random() % 256 : 'a' + random() % 26);
    }
    return out;
  };
  switch (depth > 3 ? random() % 6 : random() % 8) {
    case 0:
      return Json(text());
    case 1:
      return Json(static_cast<std::int64_t>(random()) - (1LL << 31));
    case 2:
      return Json(static_cast<std::uint64_t>(random()) << 32U);
    case 3:
      return Json(std::ldexp(static_cast<double>(random()), static_cast<int>(random() % 80) - 60));
    case 4:
      return Json(random() % 2 == 0);
    case 5:
      return Json(nullptr);
    case 6: {
      Json array = Json::array();
      for (std::size_t i = random() % 4; i > 0; --i) {
        array.push_back(random_tree<Json>(random, depth + 1));
      }
      return array;
    }
    default: {
      Json object = Json::object();
      for (std::size_t i = random() % 4; i > 0; --i) {
        object[text()] = random_tree<Json>(random, depth + 1);
      }
      return object;
    }
  }
}

TEST(JsonWriterValue, TreesAsNlohmannDumpsThem) {
  std::mt19937 random(31);
  for (int round = 0; round < 3000; ++round) {
    const auto sorted = random_tree<nlohmann::json>(random, 0);
    std::string out;
    append_json_value(out, sorted);
    ASSERT_EQ(out, nlohmann_text(sorted));
    const auto ordered = random_tree<nlohmann::ordered_json>(random, 0);
    out.clear();
    append_json_value(out, ordered);
    ASSERT_EQ(out, ordered.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

}  // namespace
}  // namespace promptbench::util
