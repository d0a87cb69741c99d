// SPDX-License-Identifier: Apache-2.0
// HTML report benchmark: writes a synthetic report of N cases x V variants, times
// `promptbench report R.json --html R.html` (wall, CPU and peak RSS from wait4), then opens the
// page in headless Chromium and reads how long it took to show its first view, its first
// case rows and every case (the page's own window.pbTimings), and how long a filter change
// takes on the full case list. Figures only: nothing here asserts a time. docs/BENCHMARKS.md
// has the results.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "scratch_dir.hpp"
#include "support/browser.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using promptbench::bench::Child;
using promptbench::bench::cpu_seconds;
using promptbench::bench::Exit;
using promptbench::bench::ScratchDir;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t cases = 100'000;
  std::size_t variants = 3;
  std::size_t words = 25;  ///< mean words per output
  bool keep = false;
  std::string promptbench = PROMPTBENCH_BIN;
};

constexpr const char* kWords[] = {
    "the",      "service",  "was",    "slow",    "but",    "food",     "excellent", "positive",
    "negative", "neutral",  "answer", "because", "review", "mentions", "price",     "quality",
    "staff",    "friendly", "would",  "return",  "never",  "again",    "great",     "value"};

/// A sentence of about `mean` words, deterministic for the generator's state.
std::string sentence(std::mt19937& random, std::size_t mean) {
  std::uniform_int_distribution<std::size_t> length(mean / 2, mean + mean / 2);
  std::uniform_int_distribution<std::size_t> word(0, std::size(kWords) - 1);
  std::string text;
  for (std::size_t n = length(random); n > 0; --n) {
    text += kWords[word(random)];
    text += n > 1 ? " " : ".";
  }
  return text;
}

std::string variant_id(std::size_t v) {
  return fmt::format("prompt{}/local", v);
}

/// One case with a result per variant: variant v is right with probability 0.6 + 0.1 v, 1 in
/// 200 results is a failed request.
ordered_json make_case(std::size_t index, const Options& options, std::mt19937& random,
                       std::vector<double>& right) {
  const char* labels[] = {"positive", "negative", "neutral"};
  const std::string reference = labels[index % 3];
  ordered_json results = ordered_json::array();
  std::uniform_real_distribution<double> unit(0, 1);
  std::lognormal_distribution<double> latency(std::log(400.0), 0.5);
  for (std::size_t v = 0; v < options.variants; ++v) {
    ordered_json result = {{"variant", variant_id(v)}, {"repeat", 0}};
    if (unit(random) < 0.005) {
      result.update(
          {{"output", nullptr},
           {"extracted", nullptr},
           {"scores", ordered_json::object()},
           {"latency_ms", nullptr},
           {"cached", false},
           {"usage", nullptr},
           {"error", {{"kind", "http_status"}, {"message", "HTTP 503: busy"}, {"status", 503}}}});
      results.push_back(result);
      continue;
    }
    const bool correct = unit(random) < 0.6 + 0.1 * static_cast<double>(v);
    right[v] += correct ? 1 : 0;
    const std::string answer = correct ? reference : labels[(index + 1) % 3];
    const double ms = latency(random);
    result.update({{"output", sentence(random, options.words) + " " + answer},
                   {"extracted", answer},
                   {"scores", {{"exact_match", correct ? 1 : 0}, {"latency", ms}}},
                   {"pass", {{"exact_match", correct}}},
                   {"latency_ms", ms},
                   {"cached", false},
                   {"usage", {{"prompt_tokens", 60}, {"completion_tokens", 30}}},
                   {"error", nullptr},
                   {"attempts", 1},
                   {"retries", 0}});
    results.push_back(result);
  }
  return {{"index", index},
          {"id", fmt::format("case-{:06}", index)},
          {"vars", {{"text", sentence(random, 30)}}},
          {"reference", reference},
          {"results", results}};
}

ordered_json head(const Options& options, const std::vector<double>& right) {
  ordered_json variants = ordered_json::array();
  for (std::size_t v = 0; v < options.variants; ++v) {
    const double mean = right[v] / static_cast<double>(options.cases);
    const double half = 1.96 * std::sqrt(mean * (1 - mean) / static_cast<double>(options.cases));
    variants.push_back({{"id", variant_id(v)},
                        {"prompt", fmt::format("prompt{}", v)},
                        {"provider", "local"},
                        {"model", "demo"},
                        {"cases", options.cases},
                        {"errors", 0},
                        {"metrics",
                         {{"exact_match",
                           {{"n", options.cases},
                            {"unscored", 0},
                            {"mean", mean},
                            {"ci95", {mean - half, mean + half}},
                            {"higher_is_better", true},
                            {"pass_rate", mean}}}}},
                        {"latency_ms", {{"p50", 400.0}, {"p90", 760.0}, {"p99", 1280.0}}}});
  }
  return {{"schema_version", 1},
          {"tool", {{"name", "promptbench"}, {"version", "bench"}}},
          {"run",
           {{"name", "html-bench"},
            {"started_at", "2026-12-02T00:00:00Z"},
            {"finished_at", "2026-12-02T01:00:00Z"},
            {"complete", true},
            {"config_sha256", "c"},
            {"dataset", {{"path", "bench.jsonl"}, {"sha256", "d"}, {"cases", options.cases}}},
            {"repeat", 1},
            {"seed", 0},
            {"baseline", variant_id(0)}}},
          {"variants", variants},
          {"comparisons", ordered_json::array()},
          {"gates", ordered_json::array()}};
}

/// Streams the report to `path`: the cases first into the file, the head (whose means need
/// every case) written before them by leaving the cases in a second file and joining.
void write_report(const fs::path& path, const Options& options) {
  std::mt19937 random(42);
  std::vector<double> right(options.variants, 0);
  const fs::path cases_path = path.string() + ".cases";
  {
    std::ofstream cases(cases_path);
    for (std::size_t i = 0; i < options.cases; ++i) {
      cases << (i == 0 ? "" : ",\n") << make_case(i, options, random, right).dump();
    }
  }
  std::string text = head(options, right).dump();
  text.pop_back();  // the closing brace: the cases follow
  std::ofstream out(path);
  out << text << ",\"cases\":[\n" << std::ifstream(cases_path).rdbuf() << "]}\n";
  fs::remove(cases_path);
}

struct Conversion {
  double wall_s = 0;
  double cpu_s = 0;
  double rss_mib = 0;
};

Conversion convert(const Options& options, const fs::path& dir) {
  const auto start = Clock::now();
  Child child({options.promptbench, "report", "report.json", "--html", "report.html"}, dir,
              dir / "report.out", dir / "report.err");
  const Exit exit = child.wait(std::chrono::minutes(10));
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  if (exit.code != 0) {
    throw std::runtime_error(
        "promptbench report failed: " +
        promptbench::bench::tail(promptbench::bench::read_text(dir / "report.err")));
  }
  return {wall, cpu_seconds(exit.usage), static_cast<double>(exit.usage.ru_maxrss) / 1024.0};
}

struct PageFigures {
  double open_s = 0;       ///< navigation to the load event, measured here
  nlohmann::json timings;  ///< window.pbTimings: firstView, firstRows, ready (ms)
  double filter_ms = 0;    ///< status filter "fail" on every case, measured in the page
  int rows_in_dom = 0;
  int visible = 0;
};

PageFigures open_in_chromium(const fs::path& html, std::size_t cases) {
  promptbench::testing::BrowserOptions browser_options;
  browser_options.timeout = std::chrono::minutes(2);
  promptbench::testing::Browser browser(browser_options);
  PageFigures figures;
  const auto start = Clock::now();
  browser.open("file://" + html.string());
  figures.open_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!browser.wait_until("document.documentElement.dataset.pbState === 'ready'",
                          std::chrono::minutes(2))) {
    throw std::runtime_error("the page did not finish loading its cases");
  }
  figures.timings = browser.evaluate("window.pbTimings");
  figures.filter_ms = browser
                          .evaluate(R"js((() => {
        const select = document.getElementById('pb-filter-status');
        const start = performance.now();
        select.value = 'fail';
        select.dispatchEvent(new Event('input', {bubbles: true}));
        select.dispatchEvent(new Event('change', {bubbles: true}));
        return performance.now() - start;
      })())js")
                          .get<double>();
  figures.rows_in_dom = browser.evaluate("document.querySelectorAll('.pb-row').length").get<int>();
  figures.visible = std::stoi(
      browser.evaluate("document.getElementById('pb-count').dataset.visible").get<std::string>());
  const int total = std::stoi(
      browser.evaluate("document.getElementById('pb-count').dataset.total").get<std::string>());
  if (static_cast<std::size_t>(total) != cases) {
    throw std::runtime_error(fmt::format("the page shows {} cases of {}", total, cases));
  }
  for (const std::string& problem : browser.exceptions()) {
    throw std::runtime_error("the page threw: " + problem);
  }
  return figures;
}

double mib(std::uintmax_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("HTML report benchmark: file size, time to write, time to first render");
  app.add_option("--cases", options.cases, "Cases in the synthetic report")
      ->check(CLI::PositiveNumber);
  app.add_option("--variants", options.variants, "Variants")->check(CLI::Range(1, 20));
  app.add_option("--words", options.words, "Mean words per model output")
      ->check(CLI::PositiveNumber);
  app.add_flag("--keep", options.keep, "Keep the scratch directory");
  app.add_option("--promptbench", options.promptbench, "The promptbench binary to measure");
  CLI11_PARSE(app, argc, argv);

  try {
    ScratchDir dir(options.keep);
    const auto generated = Clock::now();
    write_report(dir.path() / "report.json", options);
    const double generate_s = std::chrono::duration<double>(Clock::now() - generated).count();
    const Conversion conversion = convert(options, dir.path());
    const PageFigures page = open_in_chromium(dir.path() / "report.html", options.cases);

    fmt::print("cases x variants      {} x {} ({} words per output)\n", options.cases,
               options.variants, options.words);
    fmt::print("report.json           {:.1f} MiB (generated in {:.1f} s)\n",
               mib(fs::file_size(dir.path() / "report.json")), generate_s);
    fmt::print("report.html           {:.1f} MiB\n",
               mib(fs::file_size(dir.path() / "report.html")));
    fmt::print("write --html          {:.2f} s wall, {:.2f} s CPU, {:.1f} MiB peak RSS\n",
               conversion.wall_s, conversion.cpu_s, conversion.rss_mib);
    fmt::print("chromium load event   {:.2f} s\n", page.open_s);
    fmt::print("first view            {:.0f} ms (header, summary, comparisons, gates)\n",
               page.timings.value("firstView", 0.0));
    fmt::print("first case rows       {:.0f} ms\n", page.timings.value("firstRows", 0.0));
    fmt::print("every case decoded    {:.0f} ms\n", page.timings.value("ready", 0.0));
    fmt::print("filter status=fail    {:.1f} ms ({} cases match, {} rows in the DOM)\n",
               page.filter_ms, page.visible, page.rows_in_dom);
  } catch (const std::exception& error) {
    std::cerr << "promptbench-bench-html: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
