// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"
#include "unit/report/sample_report.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using nlohmann::ordered_json;
using testing::ScratchDir;

std::string error_of(const std::filesystem::path& path) {
  try {
    (void)open_report_file(path);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

std::string error_of(const ordered_json& report) {
  try {
    const auto source = report_from_json(report, "r.json");
    source->for_each_case([](const ordered_json&) {});
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReportFile, StreamsTheCasesInOrderAsOftenAsAsked) {
  ScratchDir dir;
  const auto path = dir.write("r.json", testing::sample_report().dump(2));
  const auto report = open_report_file(path);
  EXPECT_EQ(report->name(), path.string());
  EXPECT_EQ(report->head()["cases"], ordered_json::array());
  EXPECT_EQ(report->head()["variants"].size(), 2u);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::string> ids;
    report->for_each_case([&](const ordered_json& c) { ids.push_back(c["id"]); });
    EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "x,\"y\""}));
  }
  std::string output;
  report->for_each_case([&](const ordered_json& c) {
    if (c["id"] == "2") {
      output = c["results"][0]["output"];
    }
  });
  EXPECT_EQ(output, testing::kNastyOutput);
}

TEST(ReportFile, MissingFileIsAUserError) {
  ScratchDir dir;
  EXPECT_EQ(
      error_of(dir.path() / "nope.json"),
      (dir.path() / "nope.json").string() + ": cannot read the report: No such file or directory");
}

TEST(ReportFile, MalformedJsonIsLocated) {
  ScratchDir dir;
  const auto path = dir.write("bad.json", "{\n  \"schema_version\": 1,\n  \"variants\": [}\n");
  EXPECT_THAT(error_of(path),
              ::testing::StartsWith(path.string() + ":3:16: not a valid JSON report: "));
}

TEST(ReportFile, EmptyFileIsLocated) {
  ScratchDir dir;
  const auto path = dir.write("empty.json", "");
  EXPECT_THAT(error_of(path), ::testing::StartsWith(path.string() + ":1:1: not a valid JSON"));
}

TEST(ReportFile, MalformedCaseIsNamedWhenStreamed) {
  ScratchDir dir;
  auto report = testing::sample_report();
  report["cases"][2]["results"][1]["scores"]["exact_match"] = "1";
  const auto path = dir.write("r.json", report.dump());
  EXPECT_EQ(error_of(path), path.string() +
                                ": cases[2].results[1].scores.exact_match: expected a number or "
                                "null, got a string");
}

TEST(ReportFile, ValuesNestedDeeperThanEvalWritesAreRefusedNotRecursedInto) {
  ScratchDir dir;
  std::string text = testing::sample_report().dump();
  const std::size_t vars = text.find("\"vars\":{", text.find("\"cases\""));
  ASSERT_NE(vars, std::string::npos);
  text.insert(vars + 8, "\"deep\":" + std::string(50'000, '[') + std::string(50'000, ']') + ",");
  const auto path = dir.write("r.json", text);
  EXPECT_EQ(error_of(path), path.string() + ": cases[0]: values nested deeper than 106 levels");
}

TEST(ReportCheck, OtherSchemaVersionIsRefused) {
  auto report = testing::sample_report();
  report["schema_version"] = 2;
  EXPECT_EQ(error_of(report),
            "r.json: schema_version: unsupported version 2 (this promptbench reads version 1)");
}

TEST(ReportCheck, NotAReportIsRefused) {
  EXPECT_EQ(error_of(ordered_json::array()),
            "r.json: expected a JSON object (a promptbench report), got an array");
  EXPECT_EQ(error_of(ordered_json{{"name", "x"}}),
            "r.json: missing field \"schema_version\" (not a promptbench report?)");
}

TEST(ReportCheck, FieldsRenderersRelyOnAreChecked) {
  auto report = testing::sample_report();
  report["variants"][1].erase("id");
  EXPECT_EQ(error_of(report), "r.json: variants[1]: missing field \"id\"");

  report = testing::sample_report();
  report["cases"][1].erase("results");
  EXPECT_EQ(error_of(report), "r.json: cases[1]: missing field \"results\"");

  report = testing::sample_report();
  report["cases"][0]["results"][1]["variant"] = 3;
  EXPECT_EQ(error_of(report),
            "r.json: cases[0].results[1].variant: expected a string, got a number");

  report = testing::sample_report();
  report["cases"][0]["results"][0]["pass"]["exact_match"] = 1;
  EXPECT_EQ(error_of(report),
            "r.json: cases[0].results[0].pass.exact_match: expected a boolean, got a number");

  report = testing::sample_report();
  report["cases"][0]["results"][0]["output"] = ordered_json::array();
  EXPECT_EQ(error_of(report),
            "r.json: cases[0].results[0].output: expected a string or null, got an array");

  report = testing::sample_report();
  report["cases"][1] = 7;
  EXPECT_EQ(error_of(report), "r.json: cases[1]: expected an object, got a number");

  report = testing::sample_report();
  report["gates"] = ordered_json::object();
  EXPECT_EQ(error_of(report), "r.json: gates: expected an array, got an object");
}

TEST(ReportFile, ACaseThatIsNotAnObjectIsNamed) {
  ScratchDir dir;
  auto report = testing::sample_report();
  report["cases"][1] = "oops";
  const auto path = dir.write("r.json", report.dump());
  EXPECT_EQ(error_of(path), path.string() + ": cases[1]: expected an object, got a string");
}

}  // namespace
}  // namespace promptbench
