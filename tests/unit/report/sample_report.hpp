// SPDX-License-Identifier: Apache-2.0
// A small report for the renderer tests: two variants, three cases, an output full
// of characters that XML, Markdown and CSV must escape, an errored request, a comparison and
// a passed and a failed gate.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace promptbench::testing {

/// The output of case "2" for terse/stub: markup, quotes, "]]>", control characters
/// (SOH, ESC, BEL), CRLF and a tab.
inline const std::string kNastyOutput = "<b>&\"q\" 'a'</b> ]]> \x01\x1b[31m\x07 end\r\nline2\ttab";

inline nlohmann::ordered_json sample_report() {
  auto report = nlohmann::ordered_json::parse(R"json({
  "schema_version": 1,
  "tool": {"name": "promptbench", "version": "0.1.0"},
  "run": {"name": "qa <&>", "started_at": "2026-01-01T00:00:00Z",
          "finished_at": "2026-01-01T00:00:01Z", "complete": true, "stop_reason": null,
          "config_sha256": "c", "dataset": {"path": "qa.jsonl", "sha256": "d", "cases": 3},
          "shard": {"index": 0, "count": 1}, "repeat": 1, "seed": 0},
  "variants": [
    {"id": "terse/stub", "prompt": "terse", "provider": "stub", "model": "m<1>",
     "cases": 3, "errors": 0, "cache_hits": 0,
     "metrics": {"exact_match": {"n": 3, "mean": 0.6667, "stddev": 0.5774, "stderr": 0.3333,
                                 "ci95": [0.2077, 0.9385], "higher_is_better": true,
                                 "pass_rate": 0.6667},
                 "latency": {"n": 3, "mean": 11.5, "stddev": 1, "stderr": 0.5,
                             "ci95": [9.1, 13.9], "higher_is_better": false}},
     "latency_ms": {"p50": 11.5, "p90": 12.3, "p99": 12.5},
     "usage": {"prompt_tokens": 30, "completion_tokens": 6}, "cost_usd": null},
    {"id": "chat/stub", "prompt": "chat", "provider": "stub", "model": "m<1>",
     "cases": 3, "errors": 1, "cache_hits": 1,
     "metrics": {"exact_match": {"n": 2, "mean": 0.5, "stddev": 0.7071, "stderr": 0.5,
                                 "ci95": [0.0945, 0.9055], "higher_is_better": true,
                                 "pass_rate": 0.5},
                 "latency": {"n": 2, "mean": 20, "stddev": 0, "stderr": 0,
                             "ci95": [20, 20], "higher_is_better": false}},
     "latency_ms": {"p50": 20.0, "p90": 20.0, "p99": 20.0},
     "usage": {"prompt_tokens": 20, "completion_tokens": 4}, "cost_usd": null}
  ],
  "comparisons": [
    {"metric": "exact_match", "baseline": "terse/stub", "variant": "chat/stub", "n": 2,
     "mean_diff": -0.5, "ci95": [-1, 0], "test": "mcnemar_exact", "p_value": 1,
     "p_adjusted": 1, "verdict": "no_significant_difference", "higher_is_better": true}
  ],
  "gates": [
    {"metric": "exact_match", "variant": "terse/stub", "min": 0.5, "value": 0.6667, "passed": true},
    {"metric": "exact_match", "variant": "chat/stub", "min": 0.75, "value": 0.5, "passed": false}
  ],
  "cases": [
    {"id": "1", "vars": {"q": "2+2"}, "reference": "4", "results": [
      {"variant": "terse/stub", "output": "4", "extracted": "4",
       "scores": {"exact_match": 1, "latency": 10.25}, "pass": {"exact_match": true},
       "latency_ms": 10.25, "cached": false, "usage": null, "error": null},
      {"variant": "chat/stub", "output": "four", "extracted": "four",
       "scores": {"exact_match": 0, "latency": 20}, "pass": {"exact_match": false},
       "latency_ms": 20, "cached": true, "usage": null, "error": null}]},
    {"id": "2", "vars": {"q": "pipes"}, "reference": "a|b\nc", "results": [
      {"variant": "terse/stub", "output": "", "extracted": "x",
       "scores": {"exact_match": 0, "latency": 12.5}, "pass": {"exact_match": false},
       "latency_ms": 12.5, "cached": false, "usage": null, "error": null},
      {"variant": "chat/stub", "output": null, "extracted": null, "scores": {},
       "latency_ms": null, "cached": false, "usage": null,
       "error": {"kind": "http_status", "message": "boom <html>", "status": 500}}]},
    {"id": "x,\"y\"", "vars": {"q": "list"}, "reference": ["a", "b"], "results": [
      {"variant": "terse/stub", "output": "a", "extracted": "a",
       "scores": {"exact_match": 1, "latency": 11.5}, "pass": {"exact_match": true},
       "latency_ms": 11.5, "cached": false, "usage": null, "error": null},
      {"variant": "chat/stub", "output": "b", "extracted": "b",
       "scores": {"exact_match": 1, "latency": 20}, "pass": {"exact_match": true},
       "latency_ms": 20, "cached": false, "usage": null, "error": null}]}
  ]
})json");
  report["cases"][1]["results"][0]["output"] = kNastyOutput;
  return report;
}

}  // namespace promptbench::testing
