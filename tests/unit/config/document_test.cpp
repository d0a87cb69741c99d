// SPDX-License-Identifier: Apache-2.0
// YAML/JSON text -> LocatedDocument under hostile input: nesting, alias bombs, size, UTF-8.
#include <string>

#include <gtest/gtest.h>

#include "config/document.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench::config {
namespace {

/// The message parse_yaml or parse_json throws for `text`, or "(no error)".
template <typename Parse>
std::string error_of(Parse parse, const std::string& file, const std::string& text) {
  try {
    (void)parse(file, text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(ConfigDocument, RefusesYamlNestedDeeperThan100Levels) {
  // 20,000 levels crashed the recursive conversion; now the 101st level is named (the
  // top-level mapping is the first).
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "a: 1\nx: " + nested(20'000) + "\n"),
            "cfg.yaml:2:103: values nested deeper than 100 levels");
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "x: " + nested(99) + "\n"), "(no error)");
}

TEST(ConfigDocument, RefusesYamlBlockNestingDeeperThan100Levels) {
  std::string text;
  for (std::size_t level = 0; level < 150; ++level) {
    text += std::string(level * 2, ' ') + "k:\n";
  }
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", text),
            "cfg.yaml:101:201: values nested deeper than 100 levels");
}

TEST(ConfigDocument, RefusesJsonNestedDeeperThan100Levels) {
  EXPECT_EQ(error_of(parse_json, "cfg.json", "{\"a\":\n " + nested(20'000) + "}"),
            "cfg.json:2:101: values nested deeper than 100 levels");
  // Brackets inside strings are text.
  EXPECT_EQ(error_of(parse_json, "cfg.json", "{\"a\": \"" + std::string(500, '[') + "\"}"),
            "(no error)");
}

TEST(ConfigDocument, StopsABillionLaughsAtTheAliasThatCrossesTheLimit) {
  std::string text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) {
      text += (i == 0 ? "" : ", ") + previous;
    }
    text += "]\n";
  }
  // l0..l3 hold 12,349 values with their keys and the top-level mapping, each *l3 adds
  // 11,111: the 8th one in l4 crosses 100,000 (nothing is expanded to find that out).
  EXPECT_EQ(error_of(parse_yaml, "bomb.yaml", text),
            "bomb.yaml:5:45: this alias expands the config to more than 100000 values (every use "
            "of an alias counts all of its values)");
}

TEST(ConfigDocument, CountsAliasesTowardsTheNestingDepth) {
  const std::string text =
      "a: &a " + nested(60) + "\nb: " + std::string(50, '[') + "*a" + std::string(50, ']') + "\n";
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", text),
            "cfg.yaml:2:54: values nested deeper than 100 levels");
}

TEST(ConfigDocument, RefusesAnAliasInsideTheValueItNames) {
  // yaml-cpp builds a cyclic node for these; converting one never ended (stack overflow).
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "a: &a [x, *a]\n"),
            "cfg.yaml:1:11: this alias is inside the value it names, which would never end");
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "a: &a\n  b: {c: *a}\n"),
            "cfg.yaml:2:10: this alias is inside the value it names, which would never end");
}

TEST(ConfigDocument, ExpandsAliasesWithinTheBudget) {
  const LocatedDocument doc =
      parse_yaml("cfg.yaml", "base: &base {timeout: 5s}\nother: *base\nlist: [*base, *base]\n");
  EXPECT_EQ(doc.root["other"], doc.root["base"]);
  EXPECT_EQ(doc.root["list"][1]["timeout"], "5s");
}

TEST(ConfigDocument, ReportsInvalidUtf8AtItsByte) {
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "name: ok\ntemplate: \"caf\xE9 {{q}}\"\n"),
            "cfg.yaml:2:15: invalid UTF-8 (byte 0xE9); save the file as UTF-8");
  EXPECT_EQ(error_of(parse_json, "cfg.json", "{\"name\": \"\xC3\x28\"}"),
            "cfg.json:1:11: invalid UTF-8 (byte 0xC3); save the file as UTF-8");
  // An overlong encoding of '/' is no more valid than a stray byte.
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "a: \xC0\xAF\n"),
            "cfg.yaml:1:4: invalid UTF-8 (byte 0xC0); save the file as UTF-8");
  EXPECT_EQ(error_of(parse_yaml, "cfg.yaml", "a: \"caf\xC3\xA9 \xE2\x9C\x93\"\n"), "(no error)");
}

TEST(ConfigDocument, RefusesAFileLargerThan16MiB) {
  const testing::ScratchDir dir;
  const auto path = dir.write("big.yaml", "# " + std::string(std::size_t{16} << 20, 'x') + "\n");
  try {
    (void)load_document(path, "big.yaml");
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(),
                 "big.yaml: the file is larger than 16 MiB, the limit for a config or template "
                 "file");
  }
}

}  // namespace
}  // namespace promptbench::config
