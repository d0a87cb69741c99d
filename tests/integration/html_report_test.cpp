// SPDX-License-Identifier: Apache-2.0
// The HTML report in a real browser: `eval --html` and `report --html` write the page, headless
// Chromium (tests/support/browser) opens it from file:// and the tests read the rendered DOM:
// the numbers are the JSON report's, the explorer's filters and search show the cases the
// documented rules select, a case opens from the URL fragment and the keyboard, and a hostile
// corpus is shown as text without running anything. The page must request nothing but its own
// file. Screenshots go to the build's test-artifacts/ directory.

#include "support/browser.hpp"
#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace html_report_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

const fs::path kArtifacts = PROMPTBENCH_ARTIFACT_DIR;

/// `text` as a JavaScript string literal.
std::string js_string(const std::string& text) {
  return json(text).dump();
}

// ---------------------------------------------------------------------------------------------
// The explorer's rules, computed here from the JSON report, independently of the page
// (docs/HTML_REPORT.md, README "HTML report").
// ---------------------------------------------------------------------------------------------

enum class Status { pass, fail, error };

Status status_of(const json& result) {
  if (!result["error"].is_null()) {
    return Status::error;
  }
  const json passes = result.value("pass", json::object());
  for (const auto& [metric, passed] : passes.items()) {
    if (passed == false) {
      return Status::fail;
    }
  }
  return result.value("score_errors", json::object()).empty() ? Status::pass : Status::fail;
}

/// The mean of `metric` over the variant's results in the case; none when none has a score.
std::optional<double> value_of(const json& report_case, const std::string& variant,
                               const std::string& metric) {
  double sum = 0;
  int n = 0;
  for (const json& result : report_case["results"]) {
    const json scores = result.value("scores", json::object());
    if (result["variant"] == variant && scores.contains(metric) && scores[metric].is_number()) {
      sum += scores[metric].get<double>();
      ++n;
    }
  }
  return n == 0 ? std::nullopt : std::optional<double>(sum / n);
}

std::set<std::string> variants_in(const json& report_case) {
  std::set<std::string> variants;
  for (const json& result : report_case["results"]) {
    variants.insert(result["variant"].get<std::string>());
  }
  return variants;
}

std::size_t count_cases(const json& report, const std::function<bool(const json&)>& matches) {
  return static_cast<std::size_t>(
      std::count_if(report["cases"].begin(), report["cases"].end(), matches));
}

std::size_t count_status(const json& report, const std::string& variant, Status wanted) {
  return count_cases(report, [&](const json& c) {
    return std::any_of(c["results"].begin(), c["results"].end(), [&](const json& r) {
      return (variant.empty() || r["variant"] == variant) && status_of(r) == wanted;
    });
  });
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Cases whose id, vars, reference or (the variant's, every variant's when "") outputs and
/// extracted answers hold `query`, ignoring case.
std::size_t count_search(const json& report, const std::string& variant, const std::string& query) {
  const std::string needle = lower(query);
  const auto holds = [&](const json& value) {
    if (value.is_null()) {
      return false;
    }
    return lower(value.is_string() ? value.get<std::string>() : value.dump()).find(needle) !=
           std::string::npos;
  };
  return count_cases(report, [&](const json& c) {
    bool found = holds(c["id"]) || holds(c["reference"]);
    for (const auto& [name, value] : c["vars"].items()) {
      found = found || holds(value);
    }
    for (const json& r : c["results"]) {
      if (variant.empty() || r["variant"] == variant) {
        found = found || holds(r["output"]) || holds(r["extracted"]);
      }
    }
    return found;
  });
}

std::size_t count_disagree(const json& report, const std::string& metric) {
  return count_cases(report, [&](const json& c) {
    std::set<std::optional<double>> values;
    for (const std::string& variant : variants_in(c)) {
      values.insert(value_of(c, variant, metric));
    }
    return values.size() > 1;
  });
}

std::size_t count_worse(const json& report, const std::string& variant, const std::string& metric,
                        bool higher_is_better) {
  const std::string baseline = report["run"]["baseline"];
  return count_cases(report, [&](const json& c) {
    const auto base = value_of(c, baseline, metric);
    const auto mine = value_of(c, variant, metric);
    if (!base) {
      return false;
    }
    return !mine || (higher_is_better ? *mine < *base : *mine > *base);
  });
}

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

class HtmlReport : public ::testing::Test {
 protected:
  /// The quickstart's example (three prompts, 132 reviews) against the sentiment stub, with
  /// --html: the page and the JSON report it was made from. `edit` changes its config first.
  void run_quickstart(const std::function<std::string(std::string)>& edit = nullptr) {
    ASSERT_NO_FATAL_FAILURE(copy_quickstart(edit));
    const ProcessResult result =
        quickstart({"eval", "-o", "report.json", "--html", "report.html", "--no-cache", "-q"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    m_report = json::parse(read_file(m_dir.path() / "report.json"));
  }

  void copy_quickstart(const std::function<std::string(std::string)>& edit) {
    for (const char* entry : {"promptbench.yaml", "prompts", "datasets"}) {
      fs::copy(fs::path(source_dir()) / entry, m_dir.path() / entry, fs::copy_options::recursive);
    }
    if (edit) {
      m_dir.write("promptbench.yaml", edit(read_file(m_dir.path() / "promptbench.yaml")));
    }
  }

  /// promptbench in the quickstart's folder, its config pointed at the stub.
  ProcessResult quickstart(const std::vector<std::string>& args) {
    RunOptions options;
    options.env = {{"PROMPTBENCH_BASE_URL", m_stub.base_url()}};
    return promptbench(m_dir, args, options);
  }

  /// `report FILE --html report.html`, then opens the page.
  void open_report(const std::string& file) {
    const ProcessResult result = promptbench(m_dir, {"report", file, "--html", "report.html"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_NO_FATAL_FAILURE(open());
  }

  bool exists(const std::string& selector) {
    return js("!!document.querySelector(" + js_string(selector) + ")") == true;
  }

  std::string url(const std::string& fragment = "") const {
    return "file://" + (m_dir.path() / "report.html").string() + fragment;
  }

  /// Opens the page and waits until every case is decoded.
  void open(const std::string& fragment = "") {
    m_browser.open(url(fragment));
    ASSERT_TRUE(m_browser.wait_until("document.documentElement.dataset.pbState === 'ready'"))
        << "state: " << m_browser.evaluate("document.documentElement.dataset.pbState")
        << "; exceptions: " << ::testing::PrintToString(m_browser.exceptions());
  }

  json js(const std::string& expression) { return m_browser.evaluate(expression); }

  /// data-value of the element matching `selector`, as a number.
  double number(const std::string& selector) {
    const json value = js("(() => { const e = document.querySelector(" + js_string(selector) +
                          "); return e ? e.dataset.value : 'missing'; })()");
    EXPECT_TRUE(value.is_string() && value != "missing") << selector << ": " << value;
    return value.is_string() && value != "missing" ? std::stod(value.get<std::string>()) : NAN;
  }

  std::string text(const std::string& selector) {
    const json value = js("(() => { const e = document.querySelector(" + js_string(selector) +
                          "); return e ? e.textContent : null; })()");
    EXPECT_TRUE(value.is_string()) << "no element " << selector;
    return value.is_string() ? value.get<std::string>() : "";
  }

  std::size_t visible_cases() {
    return std::stoul(js("document.getElementById('pb-count').dataset.visible").get<std::string>());
  }

  /// Sets a control as a person would and lets the page react.
  void set_control(const std::string& id, const std::string& value) {
    js("(() => { const c = document.getElementById(" + js_string(id) +
       ");"
       "if (c.type === 'checkbox') c.checked = " +
       (value == "1" ? "true" : "false") +
       ";"
       "else c.value = " +
       js_string(value) +
       ";"
       "c.dispatchEvent(new Event('input', {bubbles: true}));"
       "c.dispatchEvent(new Event('change', {bubbles: true})); })()");
  }

  /// Waits for the count to settle on `expected` (the search is debounced).
  void expect_visible(std::size_t expected, const std::string& what) {
    const std::string condition = "document.getElementById('pb-count').dataset.visible === '" +
                                  std::to_string(expected) + "'";
    EXPECT_TRUE(m_browser.wait_until(condition, std::chrono::seconds(5)))
        << what << ": expected " << expected << " cases, the page shows " << visible_cases();
  }

  /// Nothing but the page's own file was requested, nothing threw, the policy blocked nothing.
  void expect_quiet_page() {
    for (const std::string& request : m_browser.requests()) {
      EXPECT_EQ(request.rfind("file://", 0), 0U) << "a network request: " << request;
      EXPECT_THAT(request, HasSubstr("report.html")) << request;
    }
    EXPECT_THAT(m_browser.exceptions(), ::testing::IsEmpty());
    EXPECT_THAT(m_browser.csp_violations(), ::testing::IsEmpty());
    EXPECT_THAT(m_browser.dialogs(), ::testing::IsEmpty());
  }

  void screenshot(const std::string& name, bool full_page = false) {
    fs::create_directories(kArtifacts);
    m_browser.screenshot(kArtifacts / name, full_page);
  }

  StubServer m_stub{{"--mode", "sentiment"}};
  TempDir m_dir;
  Browser m_browser;
  json m_report;
};

// ---------------------------------------------------------------------------------------------
// The numbers
// ---------------------------------------------------------------------------------------------

TEST_F(HtmlReport, TheSummaryShowsTheReportsNumbers) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());

  const json& run = m_report["run"];
  EXPECT_EQ(text("#pb-run [data-field=name]"), run["name"]);
  EXPECT_EQ(text("#pb-run [data-field=config_sha256]"), run["config_sha256"]);
  EXPECT_EQ(text("#pb-run [data-field=dataset_sha256]"), run["dataset"]["sha256"]);
  EXPECT_EQ(text("#pb-run [data-field=tool_version]"), m_report["tool"]["version"]);
  EXPECT_EQ(text("#pb-run [data-field=complete]"), "complete");
  EXPECT_THAT(text("#pb-run [data-field=started_at]"), HasSubstr(run["started_at"]));

  for (const json& variant : m_report["variants"]) {
    const std::string row = "#pb-summary [data-variant=" + js_string(variant["id"]) + "]";
    for (const auto& [metric, figures] : variant["metrics"].items()) {
      const std::string cell = "#pb-summary td[data-variant=" + js_string(variant["id"]) +
                               "][data-metric=" + js_string(metric) + "] ";
      EXPECT_EQ(number(cell + "[data-field=mean]"), figures["mean"].get<double>()) << cell;
      EXPECT_EQ(number(cell + "[data-field=ci_low]"), figures["ci95"][0].get<double>()) << cell;
      EXPECT_EQ(number(cell + "[data-field=ci_high]"), figures["ci95"][1].get<double>()) << cell;
      EXPECT_EQ(number(cell + "[data-field=n]"), figures["n"].get<double>()) << cell;
      if (figures.contains("pass_rate")) {
        EXPECT_EQ(number(cell + "[data-field=pass_rate]"), figures["pass_rate"].get<double>());
      }
      EXPECT_EQ(js("document.querySelectorAll(" + js_string(cell + "svg") + ").length"), 1)
          << "a whisker bar in " << cell;
    }
    EXPECT_EQ(number(row + " [data-field=errors]"), variant["errors"].get<double>());
    EXPECT_EQ(number(row + " [data-field=latency_p50]"),
              variant["latency_ms"]["p50"].get<double>());
    EXPECT_EQ(number(row + " [data-field=latency_p99]"),
              variant["latency_ms"]["p99"].get<double>());
  }
  // A latency histogram per variant, drawn from the cases.
  EXPECT_EQ(js("document.querySelectorAll('#pb-distributions svg').length").get<std::size_t>(),
            m_report["variants"].size());
  expect_quiet_page();
  screenshot("html-report.png", true);
}

TEST_F(HtmlReport, TheComparisonsAndGatesShowTheReportsVerdicts) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_FALSE(m_report["comparisons"].empty());
  for (const json& comparison : m_report["comparisons"]) {
    const std::string row = "#pb-comparisons tr[data-variant=" + js_string(comparison["variant"]) +
                            "][data-metric=" + js_string(comparison["metric"]) + "]";
    EXPECT_EQ(number(row + " [data-field=mean_diff]"), comparison["mean_diff"].get<double>());
    EXPECT_EQ(number(row + " [data-field=ci_low]"), comparison["ci95"][0].get<double>());
    EXPECT_EQ(number(row + " [data-field=ci_high]"), comparison["ci95"][1].get<double>());
    EXPECT_EQ(number(row + " [data-field=p_adjusted]"), comparison["p_adjusted"].get<double>());
    const std::string verdict = comparison["verdict"];
    EXPECT_EQ(text(row + " [data-field=verdict]"), replace_all(verdict, "_", " "));
    EXPECT_EQ(js("document.querySelector(" + js_string(row) + ").classList.contains('verdict-" +
                 verdict + "')"),
              true);
  }
  // A forest plot per metric compared, its marks coloured by verdict.
  EXPECT_EQ(js("document.querySelectorAll('#pb-comparisons svg').length"), 3);
  EXPECT_GE(
      js("document.querySelectorAll('#pb-comparisons svg .verdict-better').length").get<int>(), 2);

  ASSERT_EQ(m_report["gates"].size(), 1U);
  const json& gate = m_report["gates"][0];
  const std::string row = "#pb-gates tr.pb-gate[data-variant=" + js_string(gate["variant"]) +
                          "][data-metric=" + js_string(gate["metric"]) + "]";
  EXPECT_EQ(text(row + " [data-field=passed]"), "passed");
  EXPECT_EQ(number(row + " [data-field=value]"), gate["value"].get<double>());
  EXPECT_EQ(number(row + " [data-field=min]"), gate["min"].get<double>());
}

TEST_F(HtmlReport, AFailedGateAndAnIncompleteRunShowWhy) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  json report = m_report;
  report["run"]["complete"] = false;
  report["run"]["stop_reason"] = "interrupted";
  json& gate = report["gates"][0];
  gate["min"] = 0.9;
  gate["passed"] = false;
  gate["shortfall"] = 0.9 - gate["value"].get<double>();
  m_dir.write("edited.json", report.dump());
  const ProcessResult result =
      promptbench(m_dir, {"report", "edited.json", "--html", "report.html"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(text("#pb-run [data-field=complete]"), "incomplete: interrupted");
  const std::string row = "#pb-gates tr.pb-gate.gate-failed";
  EXPECT_EQ(text(row + " [data-field=passed]"), "failed");
  EXPECT_EQ(number(row + " [data-field=shortfall]"), gate["shortfall"].get<double>());
  EXPECT_THAT(text(row), HasSubstr("min 0.9"));
}

// ---------------------------------------------------------------------------------------------
// The case explorer
// ---------------------------------------------------------------------------------------------

TEST_F(HtmlReport, FiltersShowTheCasesTheRulesSelect) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());
  const std::size_t total = m_report["cases"].size();
  EXPECT_EQ(js("document.getElementById('pb-count').dataset.total"), std::to_string(total));
  expect_visible(total, "no filter");
  EXPECT_LT(js("document.querySelectorAll('.pb-row').length").get<int>(), 200);

  set_control("pb-metric", "exact_match");
  for (const json& variant : m_report["variants"]) {
    const std::string id = variant["id"];
    set_control("pb-filter-variant", id);
    for (const auto& [name, status] :
         {std::pair{"pass", Status::pass}, {"fail", Status::fail}, {"error", Status::error}}) {
      set_control("pb-filter-status", name);
      expect_visible(count_status(m_report, id, status), id + " " + name);
    }
    set_control("pb-filter-status", "");
    set_control("pb-filter-worse", "1");
    expect_visible(
        id == m_report["run"]["baseline"] ? 0 : count_worse(m_report, id, "exact_match", true),
        id + " worse than the baseline");
    set_control("pb-filter-worse", "0");
  }
  set_control("pb-filter-variant", "");
  set_control("pb-filter-status", "fail");
  expect_visible(count_status(m_report, "", Status::fail), "any variant failed");
  set_control("pb-filter-status", "");
  set_control("pb-filter-disagree", "1");
  const std::size_t disagree = count_disagree(m_report, "exact_match");
  ASSERT_GT(disagree, 0U);
  ASSERT_LT(disagree, total);
  expect_visible(disagree, "variants disagree on exact_match");
  // The rows on screen are the first matching cases, in dataset order.
  std::vector<std::string> expected;
  for (const json& c : m_report["cases"]) {
    std::set<std::optional<double>> values;
    for (const std::string& v : variants_in(c)) {
      values.insert(value_of(c, v, "exact_match"));
    }
    if (values.size() > 1 && expected.size() < 3) {
      expected.push_back(c["id"]);
    }
  }
  EXPECT_EQ(js("Array.from(document.querySelectorAll('.pb-row')).slice(0, 3)"
               ".map(r => r.dataset.caseId)"),
            json(expected));
  screenshot("html-report-filtered.png");
}

TEST_F(HtmlReport, SearchMatchesInputsOutputsAndReferences) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());
  // A word of one review's text, typed in the search box.
  const std::size_t harbor = count_search(m_report, "", "HARBOR");
  ASSERT_GT(harbor, 0U);
  ASSERT_LT(harbor, m_report["cases"].size());
  m_browser.click("#pb-search");
  m_browser.type("HARBOR");
  expect_visible(harbor, "search 'HARBOR'");
  // The stub's terse answers say "The sentiment is ...": the search looks at the outputs of
  // the variant chosen only.
  set_control("pb-search", "sentiment is");
  for (const char* variant : {"fewshot/local", "terse/local", ""}) {
    set_control("pb-filter-variant", variant);
    expect_visible(count_search(m_report, variant, "sentiment is"),
                   std::string("'sentiment is' in the outputs of ") + variant);
  }
  ASSERT_NE(count_search(m_report, "fewshot/local", "sentiment is"),
            count_search(m_report, "terse/local", "sentiment is"));
  set_control("pb-filter-variant", "");
  set_control("pb-search", "zzz-nothing-zzz");
  expect_visible(0, "a search that matches nothing");
}

TEST_F(HtmlReport, ACaseOpensFromTheFragmentWithEveryVariantSideBySide) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  const json& report_case = m_report["cases"][4];
  const std::string id = report_case["id"];
  ASSERT_NO_FATAL_FAILURE(open("#case=" + id + "&variant=chat%2Flocal"));
  ASSERT_TRUE(m_browser.wait_until("!document.getElementById('pb-case').hidden"));
  EXPECT_EQ(js("document.getElementById('pb-case').dataset.caseId"), id);
  EXPECT_EQ(js("document.getElementById('pb-filter-variant').value"), "chat/local");
  EXPECT_EQ(text("#pb-case .pb-reference"), report_case["reference"]);
  for (const json& result : report_case["results"]) {
    const std::string panel =
        "#pb-case .pb-result[data-variant=" + js_string(result["variant"]) + "]";
    EXPECT_EQ(text(panel + " .pb-output"), result["output"]) << panel;
    for (const auto& [metric, score] : result["scores"].items()) {
      EXPECT_EQ(number(panel + " .pb-scores [data-metric=" + js_string(metric) + "]"),
                score.get<double>());
    }
  }
  // terse answers "The sentiment is positive." to "positive": the diff marks the extra words.
  const std::string terse = "#pb-case .pb-result[data-variant=\"terse/local\"] .pb-diff";
  EXPECT_GT(
      js("document.querySelectorAll(" + js_string(terse + " ins") + ").length").get<int>() +
          js("document.querySelectorAll(" + js_string(terse + " del") + ").length").get<int>(),
      0);
  EXPECT_THAT(text(terse + " ins"), HasSubstr("sentiment"));
  screenshot("html-report-case.png");
  expect_quiet_page();
}

TEST_F(HtmlReport, TheKeyboardMovesOpensAndClosesAndTheFragmentFollows) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());
  const json& cases = m_report["cases"];
  m_browser.press("j");
  m_browser.press("j");
  EXPECT_EQ(js("document.querySelector('.pb-row.selected').dataset.caseId"), cases[1]["id"]);
  m_browser.press("k");
  m_browser.press("j");
  m_browser.press("Enter");
  ASSERT_TRUE(m_browser.wait_until("!document.getElementById('pb-case').hidden"));
  EXPECT_EQ(js("document.getElementById('pb-case').dataset.caseId"), cases[1]["id"]);
  EXPECT_THAT(js("location.hash").get<std::string>(),
              HasSubstr("case=" + cases[1]["id"].get<std::string>()));
  m_browser.press("n");
  EXPECT_TRUE(m_browser.wait_until("document.getElementById('pb-case').dataset.caseId === " +
                                   js_string(cases[2]["id"])));
  m_browser.press("p");
  EXPECT_TRUE(m_browser.wait_until("document.getElementById('pb-case').dataset.caseId === " +
                                   js_string(cases[1]["id"])));
  m_browser.press("Escape");
  EXPECT_TRUE(m_browser.wait_until("document.getElementById('pb-case').hidden"));
  m_browser.press("/");
  EXPECT_EQ(js("document.activeElement.id"), "pb-search");
}

TEST_F(HtmlReport, DarkAndPrintHaveTheirOwnLooks) {
  ASSERT_NO_FATAL_FAILURE(run_quickstart());
  ASSERT_NO_FATAL_FAILURE(open());
  const std::string background = "getComputedStyle(document.body).backgroundColor";
  const json light = js(background);
  m_browser.set_dark(true);
  EXPECT_NE(js(background), light) << "prefers-color-scheme: dark changes the background";
  screenshot("html-report-dark.png");
  m_browser.set_dark(false);
  m_browser.emulate_print(true);
  EXPECT_EQ(js("getComputedStyle(document.getElementById('pb-search')).display === 'none' || "
               "getComputedStyle(document.getElementById('pb-search').parentElement).display "
               "=== 'none' || document.getElementById('pb-search').offsetParent === null"),
            true)
      << "the explorer's controls are not printed";
}

TEST_F(HtmlReport, ManyCasesAreDrawnAFewRowsAtATime) {
  // 20,000 cases x 2 variants, built here: `report --html` reads them like any report.
  json report = {{"schema_version", 1},
                 {"tool", {{"name", "promptbench"}, {"version", "test"}}},
                 {"run", {{"name", "many"}, {"complete", true}, {"baseline", "a/p"}}},
                 {"variants", {{{"id", "a/p"}}, {{"id", "b/p"}}}},
                 {"cases", json::array()}};
  for (int i = 0; i < 20000; ++i) {
    json results = json::array();
    for (const char* variant : {"a/p", "b/p"}) {
      const bool right = (i % 3 != 0) || variant[0] == 'b';
      results.push_back({{"variant", variant},
                         {"output", right ? "yes" : "no"},
                         {"scores", {{"exact_match", right ? 1 : 0}}},
                         {"pass", {{"exact_match", right}}},
                         {"latency_ms", 10 + i % 7},
                         {"error", nullptr}});
    }
    report["cases"].push_back({{"index", i},
                               {"id", "c" + std::to_string(i)},
                               {"vars", {{"q", "question " + std::to_string(i)}}},
                               {"reference", "yes"},
                               {"results", results}});
  }
  m_dir.write("many.json", report.dump());
  const ProcessResult result = promptbench(m_dir, {"report", "many.json", "--html", "report.html"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(js("document.getElementById('pb-count').dataset.total"), "20000");
  EXPECT_LT(js("document.querySelectorAll('.pb-row').length").get<int>(), 200);
  set_control("pb-filter-variant", "a/p");
  set_control("pb-filter-status", "fail");
  expect_visible(6667, "a/p fails every third case");
  // Scrolled to the end, the last failing case is drawn.
  js("(() => { const rows = document.getElementById('pb-rows'); rows.scrollTop = "
     "rows.scrollHeight; rows.dispatchEvent(new Event('scroll')); })()");
  EXPECT_TRUE(m_browser.wait_until("!!document.querySelector('.pb-row[data-case-id=\"c19998\"]')",
                                   std::chrono::seconds(5)));
  EXPECT_LT(js("document.querySelectorAll('.pb-row').length").get<int>(), 200);
}

TEST_F(HtmlReport, TheSlicesTablesShowTheReportsNumbersForEachValue) {
  // Sliced by the label: 67 positive and 65 negative reviews; at 66 cases the negative slice
  // is too small to gate.
  ASSERT_NO_FATAL_FAILURE(run_quickstart(
      [](std::string yaml) { return yaml + "slices: [label]\nslice_min_cases: 66\n"; }));
  ASSERT_NO_FATAL_FAILURE(open());
  const json& values = m_report["slices"]["values"];
  ASSERT_EQ(values.size(), 2U);
  // The slices differ from each other (so a page showing one slice's, or the whole run's,
  // figures for every value fails below).
  bool differ = false;
  for (std::size_t v = 0; v < values[0]["variants"].size(); ++v) {
    for (const char* metric : {"exact_match", "contains"}) {
      differ = differ || values[0]["variants"][v]["metrics"][metric]["mean"] !=
                             values[1]["variants"][v]["metrics"][metric]["mean"];
    }
  }
  ASSERT_TRUE(differ);
  std::size_t rows = 0;
  std::size_t comparisons = 0;
  for (const json& value : values) {
    const std::string label =
        value["field"].get<std::string>() + "=" + value["value"].get<std::string>();
    ASSERT_FALSE(value["variants"].empty()) << label;
    for (const json& variant : value["variants"]) {
      const std::string row = "#pb-slices tr.pb-slice[data-slice=" + js_string(label) +
                              "][data-variant=" + js_string(variant["id"]) + "]";
      EXPECT_EQ(number(row + " [data-field=cases]"), value["cases"].get<double>()) << row;
      EXPECT_EQ(exists(row + " [data-field=note]"), value.contains("note")) << row;
      if (value.contains("note")) {
        EXPECT_THAT(text(row + " [data-field=note]"), HasSubstr(value["note"].get<std::string>()));
      }
      for (const auto& [metric, figures] : variant["metrics"].items()) {
        const std::string cell = row + " td[data-metric=" + js_string(metric) + "] ";
        EXPECT_EQ(number(cell + "[data-field=mean]"), figures["mean"].get<double>()) << cell;
        EXPECT_EQ(number(cell + "[data-field=ci_low]"), figures["ci95"][0].get<double>()) << cell;
        EXPECT_EQ(number(cell + "[data-field=ci_high]"), figures["ci95"][1].get<double>()) << cell;
      }
      ++rows;
    }
    for (const json& comparison : value["comparisons"]) {
      const std::string metric = comparison["metric"].get<std::string>() + " on " + label;
      const std::string row = "#pb-slices tr[data-variant=" + js_string(comparison["variant"]) +
                              "][data-metric=" + js_string(metric) + "]";
      EXPECT_EQ(number(row + " [data-field=mean_diff]"), comparison["mean_diff"].get<double>())
          << row;
      EXPECT_EQ(number(row + " [data-field=p_adjusted]"), comparison["p_adjusted"].get<double>())
          << row;
      EXPECT_EQ(text(row + " [data-field=verdict]"),
                replace_all(comparison["verdict"].get<std::string>(), "_", " "));
      ++comparisons;
    }
  }
  EXPECT_EQ(std::count_if(values.begin(), values.end(),
                          [](const json& value) { return value.contains("note"); }),
            1)
      << "one slice gated, one not";
  EXPECT_GT(comparisons, 0U);
  EXPECT_EQ(js("document.querySelectorAll('#pb-slices tr.pb-slice').length"), rows);
  EXPECT_EQ(js("document.querySelectorAll('#pb-slices .pb-comparisons-table tbody tr').length"),
            comparisons);
  expect_quiet_page();
  screenshot("html-report-slices.png", true);
}

TEST_F(HtmlReport, TheHeaderShowsTheSplitSelectionShardMergeAndLook) {
  // The test split of the quickstart (by hash), a sample of it, in three shards, merged.
  ASSERT_NO_FATAL_FAILURE(copy_quickstart([](std::string yaml) {
    return replace_all(yaml, "\n  id: id\n",
                       "\n  id: id\n  split: {dev: 0.7, test: 0.3, salt: html}\n") +
           "holdout: {max_looks: 5}\n";
  }));
  for (int i = 0; i < 3; ++i) {
    const ProcessResult shard =
        quickstart({"eval", "--split", "test", "--sample", "30", "--seed", "7", "--shard",
                    std::to_string(i) + "/3", "-o", "shard-" + std::to_string(i) + ".json", "-q"});
    ASSERT_EQ(shard.exit_code, 0) << shard.err;
  }
  const ProcessResult merged = quickstart(
      {"merge", "shard-0.json", "shard-1.json", "shard-2.json", "-o", "merged.json", "-q"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;

  // The merged report: its split, selection, merge and look.
  m_report = json::parse(read_file(m_dir.path() / "merged.json"));
  const json& run = m_report["run"];
  ASSERT_EQ(run["split"]["name"], "test");
  ASSERT_EQ(run["selection"]["cases"], 30);
  ASSERT_EQ(run["merged_from"]["count"], 3);
  ASSERT_EQ(run["holdout"]["look"], 1);
  ASSERT_NO_FATAL_FAILURE(open_report("merged.json"));
  EXPECT_EQ(text("#pb-run [data-field=split_name]"), run["split"]["name"]);
  EXPECT_EQ(number("#pb-run [data-field=split_cases]"), run["split"]["cases"].get<double>());
  EXPECT_EQ(number("#pb-run [data-field=split_of]"), run["split"]["of"].get<double>());
  EXPECT_EQ(run["split"]["of"], 132);
  EXPECT_EQ(text("#pb-run [data-field=split_config]"),
            "by hash of the case id (dev 0.7, test 0.3, salt 'html')");
  EXPECT_EQ(text("#pb-run [data-field=selection]"), "--sample 30 --seed 7");
  EXPECT_EQ(number("#pb-run [data-field=selection_cases]"),
            run["selection"]["cases"].get<double>());
  EXPECT_EQ(number("#pb-run [data-field=merged_parts]"), 3);
  EXPECT_EQ(number("#pb-run [data-field=merged_count]"), run["merged_from"]["count"].get<double>());
  EXPECT_EQ(text("#pb-run [data-field=merged_shards]"), "0, 1, 2");
  EXPECT_FALSE(exists("#pb-run [data-field=merged_missing]"));
  EXPECT_FALSE(exists("#pb-run [data-field=shard_index]")) << "a merged report is no shard";
  EXPECT_EQ(number("#pb-run [data-field=holdout_look]"), run["holdout"]["look"].get<double>());
  EXPECT_EQ(number("#pb-run [data-field=holdout_max_looks]"), 5);
  EXPECT_FALSE(exists("#pb-run [data-field=holdout_forced]"));
  expect_quiet_page();
  screenshot("html-report-merged-header.png");

  // One shard's report: which shard, and its cases.
  const json shard = json::parse(read_file(m_dir.path() / "shard-1.json"));
  ASSERT_GT(shard["run"]["shard"]["cases"].get<int>(), 0);
  ASSERT_LT(shard["run"]["shard"]["cases"].get<int>(), 30);
  ASSERT_NO_FATAL_FAILURE(open_report("shard-1.json"));
  EXPECT_EQ(number("#pb-run [data-field=shard_index]"), 1);
  EXPECT_EQ(number("#pb-run [data-field=shard_count]"), 3);
  EXPECT_EQ(number("#pb-run [data-field=shard_cases]"),
            shard["run"]["shard"]["cases"].get<double>());
  EXPECT_FALSE(exists("#pb-run [data-field=merged_count]"));

  // A merge without shard 1 (--allow-missing) says which is missing.
  const ProcessResult partial = quickstart(
      {"merge", "shard-0.json", "shard-2.json", "--allow-missing", "-o", "partial.json", "-q"});
  ASSERT_NE(partial.exit_code, 2) << partial.err;
  ASSERT_NO_FATAL_FAILURE(open_report("partial.json"));
  EXPECT_EQ(number("#pb-run [data-field=merged_parts]"), 2);
  EXPECT_EQ(text("#pb-run [data-field=merged_shards]"), "0, 2");
  EXPECT_EQ(text("#pb-run [data-field=merged_missing]"), "1");
}

// ---------------------------------------------------------------------------------------------
// A hostile corpus
// ---------------------------------------------------------------------------------------------

/// Each payload, if it ran, would set window.pwned, open a dialog, or add an element.
const std::vector<std::string> kHostile = {
    "</script><script>window.pwned=1;alert(1)</script>",
    "<img src=x onerror=\"window.pwned=2;alert(2)\">",
    "<a href=\"javascript:alert(3)\" id=\"pwned-link\">click</a>",
    "javascript:window.pwned=4",
    "<!-- <svg onload=alert(5)>",
    "line\xE2\x80\xA8separator\xE2\x80\xA9paragraph",
    "<iframe src=\"http://127.0.0.1:9/\"></iframe><style>body{display:none}</style>",
    "\" onmouseover=\"alert(6)\" x=\"",
    "{{constructor.constructor('alert(7)')()}}",
};

std::string hostile(std::size_t i) {
  return kHostile[i % kHostile.size()];
}

class HostileHtmlReport : public HtmlReport {
 protected:
  StubServer m_echo{{"--mode", "echo"}};

  /// Expect no payload took effect: no flag, no dialog, no element it would have added, no
  /// request; and the text is on the page as text.
  void expect_nothing_ran() {
    EXPECT_EQ(js("typeof window.pwned"), "undefined");
    EXPECT_EQ(js("document.querySelectorAll('img, iframe, a[href^=\"javascript\"], "
                 "[onerror], [onload], [onmouseover], #pwned-link').length"),
              0);
    EXPECT_EQ(js("document.querySelectorAll('script').length"),
              js("document.querySelectorAll('script.pb-cases').length").get<int>() + 3);
    EXPECT_EQ(js("document.querySelectorAll('style').length"), 1);
    EXPECT_EQ(js("getComputedStyle(document.body).display"), "block");
    expect_quiet_page();
  }
};

TEST_F(HostileHtmlReport, ModelOutputsReferencesAndInputsThroughEval) {
  // The echo stub answers with the prompt: the outputs are the hostile inputs.
  m_dir.write("promptbench.yaml", replace_all(R"yaml(name: hostile
providers:
  - {id: stub, base_url: @URL@, model: echo, retries: 0}
prompts:
  - {id: echo, template: "{{text}}"}
  - {id: say, template: "Say: {{text}}"}
dataset: {path: rows.jsonl, reference: label, id: id}
metrics: [exact_match, contains]
)yaml",
                                              "@URL@", m_echo.base_url()));
  std::string rows;
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    rows +=
        json{{"id", hostile(i + 1)}, {"text", hostile(i)}, {"label", hostile(i + 2)}}.dump() + "\n";
  }
  m_dir.write("rows.jsonl", rows);
  const ProcessResult result = promptbench(
      m_dir, {"eval", "-o", "report.json", "--html", "report.html", "--no-cache", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NO_FATAL_FAILURE(open());
  expect_nothing_ran();

  // Every case opens (by its hostile id, through the fragment) and shows its texts as text.
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    js("location.hash = 'case=' + encodeURIComponent(" + js_string(hostile(i + 1)) + ")");
    ASSERT_TRUE(m_browser.wait_until("document.getElementById('pb-case').dataset.caseId === " +
                                     js_string(hostile(i + 1))))
        << "case " << i;
    EXPECT_EQ(text("#pb-case .pb-result[data-variant=\"echo/stub\"] .pb-output"), hostile(i));
    EXPECT_EQ(text("#pb-case .pb-reference"), hostile(i + 2));
    EXPECT_THAT(text("#pb-case .pb-vars"), HasSubstr(hostile(i)));
  }
  set_control("pb-search", "<img");
  expect_visible(3, "search for '<img' in inputs, outputs and references");
  expect_nothing_ran();
  screenshot("html-report-hostile.png");
}

TEST_F(HostileHtmlReport, VariantIdsRunNameErrorsAndJudgeRepliesThroughReport) {
  json report = {
      {"schema_version", 1},
      {"tool", {{"name", "promptbench"}, {"version", hostile(1)}}},
      {"run",
       {{"name", hostile(0)},
        {"complete", false},
        {"stop_reason", hostile(6)},
        {"config_sha256", hostile(2)},
        {"baseline", hostile(3)},
        {"split",
         {{"name", hostile(4)},
          {"cases", 1},
          {"of", 2},
          {"config", {{"by", "hash"}, {"dev", 0.5}, {"test", 0.5}, {"salt", hostile(5)}}}}},
        {"selection",
         {{"ids", {hostile(6), hostile(7)}},
          {"pattern", hostile(8)},
          {"filter_failing", hostile(0)},
          {"cases", 1}}},
        {"shard", {{"index", 0}, {"count", 2}, {"cases", 1}}},
        {"merged_from", {{"count", 2}, {"shards", {0, 1}}}},  // indexes: checked on reading
        {"holdout", {{"look", 2}, {"forced", true}, {"ledger", hostile(2)}}}}},
      {"variants",
       {{{"id", hostile(3)},
         {"metrics", {{hostile(4), {{"n", 1}, {"mean", 1}, {"ci95", {0.2, 1}}}}}}},
        {{"id", hostile(1)}, {"errors_by_kind", {{hostile(7), 1}}}}}},
      {"comparisons",
       {{{"metric", hostile(4)},
         {"baseline", hostile(3)},
         {"variant", hostile(1)},
         {"n", 1},
         {"mean_diff", -1},
         {"ci95", {-1, 0}},
         {"verdict", hostile(8)}}}},
      {"gates", {{{"metric", hostile(4)}, {"variant", hostile(1)}, {"min", 1}, {"passed", false}}}},
      {"cases", json::array()}};
  report["cases"].push_back(
      {{"index", 0},
       {"id", hostile(2)},
       {"vars", {{hostile(5), hostile(6)}}},
       {"reference", {{"nested", hostile(0)}}},
       {"results",
        {{{"variant", hostile(3)},
          {"output", hostile(1)},
          {"scores", {{hostile(4), 1}}},
          {"details", {{hostile(4), {{"judge", hostile(5)}, {"reply", hostile(0)}}}}},
          {"error", nullptr}},
         {{"variant", hostile(1)},
          {"output", nullptr},
          {"scores", json::object()},
          {"score_errors", {{hostile(4), hostile(7)}}},
          {"error", {{"kind", hostile(8)}, {"message", hostile(0)}}}}}}});
  m_dir.write("hostile.json", report.dump());
  const ProcessResult result =
      promptbench(m_dir, {"report", "hostile.json", "--html", "report.html"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NO_FATAL_FAILURE(open("#case=" + std::string("%3C%2Fscript")));  // no such case
  expect_nothing_ran();
  EXPECT_EQ(js("document.title"), hostile(0) + " · promptbench");
  EXPECT_EQ(text("#pb-run [data-field=name]"), hostile(0));
  EXPECT_EQ(text("#pb-run [data-field=split_name]"), hostile(4));
  EXPECT_THAT(text("#pb-run [data-field=split_config]"), HasSubstr(hostile(5)));
  EXPECT_EQ(text("#pb-run [data-field=selection]"),
            "--case " + hostile(6) + ", --case " + hostile(7) + ", --case-pattern " + hostile(8) +
                ", --filter-failing " + hostile(0));
  EXPECT_EQ(text("#pb-run [data-field=merged_shards]"), "0, 1");
  EXPECT_EQ(text("#pb-run [data-field=holdout_forced]"), " · forced (--force-look)");

  js("location.hash = 'case=' + encodeURIComponent(" + js_string(hostile(2)) + ")");
  ASSERT_TRUE(m_browser.wait_until("document.getElementById('pb-case').dataset.caseId === " +
                                   js_string(hostile(2))));
  const std::string first = "#pb-case .pb-result[data-variant=" + js_string(hostile(3)) + "]";
  EXPECT_EQ(text(first + " .pb-output"), hostile(1));
  EXPECT_THAT(text(first + " .pb-judge"), HasSubstr(hostile(0)));
  const std::string second = "#pb-case .pb-result[data-variant=" + js_string(hostile(1)) + "]";
  EXPECT_THAT(text(second + " .pb-error"), HasSubstr(hostile(0)));
  expect_nothing_ran();
}

TEST_F(HostileHtmlReport, AReportFileWithInvalidUtf8IsRefusedWithItsLocation) {
  // A JSON report cannot hold invalid UTF-8 (the writer replaces it, see the unit tests); a
  // file that does is not a report, and `report` says where, instead of writing a page.
  m_dir.write("bad.json", "{\"schema_version\": 1, \"run\": {\"name\": \"bad \xC3\x28\"}}");
  const ProcessResult result = promptbench(m_dir, {"report", "bad.json", "--html", "report.html"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("bad.json:1:"));
  EXPECT_FALSE(fs::exists(m_dir.path() / "report.html"));
}

}  // namespace
}  // namespace html_report_test
}  // namespace promptbench::testing
