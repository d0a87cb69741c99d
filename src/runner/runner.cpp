// SPDX-License-Identifier: Apache-2.0
// run_eval: plan, pre-flight, run, write the report. The pieces live beside this file:
// plan (variants and pipeline), preflight, broker (cache and engine), scoring, case_buffer
// (dataset order) and run (the lifecycle).
#include "promptbench/runner.hpp"
#include "promptbench/summary.hpp"

#include "runner/plan.hpp"
#include "runner/run.hpp"

namespace promptbench {

ReportSummary run_eval(const Config& config, const RunOptions& options, Transport& transport,
                       const std::function<void(const Progress&)>& on_progress) {
  const std::vector<Variant> variants =
      plan_variants(config, options.prompt_ids, options.provider_ids);
  const Preflight checked =
      preflight(config, variants, options.limit, options.shard, options.selection, options.split);
  Pipeline pipeline = build_pipeline(config, variants);
  Run run(config, options, transport, std::move(pipeline), checked);
  ReportSummary summary = run.execute(on_progress);
  summary.run.dataset_sha256 = checked.dataset_sha256;
  if (options.split) {
    summary.run.split = split_json(config, *options.split, checked);
  }
  summary.run.holdout = options.holdout;
  run.write_report(summary);
  run.throw_if_unreachable();
  return summary;
}

}  // namespace promptbench
