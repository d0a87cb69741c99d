// SPDX-License-Identifier: Apache-2.0
// The evaluation loop. Cases are read lazily and turned into requests only while the
// engine wants more, so memory holds the requests in flight plus a few numbers per case.
// Finished cases go to the report in dataset order through a small reorder buffer.
#include "promptbench/runner.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

#include <xxhash.h>

#include <fmt/format.h>

#include "promptbench/cache.hpp"
#include "promptbench/comparison.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/engine.hpp"
#include "promptbench/extract.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/stats.hpp"
#include "runner/aggregate.hpp"
#include "util/sha256.hpp"

namespace promptbench {

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

/// Everything built once from the config before the first request.
struct Pipeline {
  std::vector<Variant> variants;
  std::vector<PromptTemplate> prompts;
  /// endpoints(config), computed once: an engine provider index is an index here.
  std::vector<const ProviderConfig*> endpoints;
  /// Every endpoint's provider: the providers, then the judges, as in `endpoints`.
  std::vector<std::unique_ptr<Provider>> providers;
  std::vector<Extractor> extractors;  ///< per prompt
  std::vector<std::unique_ptr<Metric>> metrics;
  /// Per metric: the endpoint of its judge when a judge scores it (llm_judge).
  std::vector<std::optional<std::size_t>> judge_endpoint;
};

std::optional<std::size_t> judge_endpoint_of(const Metric& metric,
                                             const std::vector<const ProviderConfig*>& all) {
  const auto* judged = dynamic_cast<const JudgedMetric*>(&metric);
  if (judged == nullptr) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i]->id == judged->judge_id()) {
      return i;
    }
  }
  throw UserError(
      fmt::format("metric '{}': no judge or provider '{}'", metric.name(), judged->judge_id()));
}

Pipeline build_pipeline(const Config& config, const std::vector<Variant>& variants) {
  Pipeline pipeline;
  pipeline.variants = variants;
  for (const auto& prompt : config.prompts) {
    pipeline.prompts.emplace_back(prompt);
    pipeline.extractors.emplace_back(prompt.extract ? *prompt.extract : config.extract);
  }
  pipeline.endpoints = endpoints(config);
  for (const ProviderConfig* provider : pipeline.endpoints) {
    pipeline.providers.push_back(make_provider(*provider));
  }
  for (const auto& metric : config.metrics) {
    pipeline.metrics.push_back(make_metric(metric));
    pipeline.judge_endpoint.push_back(
        judge_endpoint_of(*pipeline.metrics.back(), pipeline.endpoints));
  }
  return pipeline;
}

TransferOptions transfer_options(const ProviderConfig& provider, bool verify_tls) {
  TransferOptions options;
  options.connect_timeout = provider.connect_timeout;
  options.total_timeout = provider.timeout;
  options.max_response_bytes = provider.max_response_bytes;
  options.verify_tls = verify_tls;
  return options;
}

/// Engine tags of judge requests have the top bit set; the rest count the tickets.
constexpr std::uint64_t kJudgeTag = std::uint64_t{1} << 63;

/// One judge request: which result it judges, with which metric, and its prompt.
struct JudgeTicket {
  std::size_t metric = 0;
  RenderedPrompt prompt;
  std::size_t index = 0;  ///< the case
  std::size_t slot = 0;   ///< the result within the case (variant x repeat)
  std::string cache_key;
};

nlohmann::ordered_json messages_json(const RenderedPrompt& prompt) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const ChatMessage& message : prompt.messages) {
    messages.push_back({{"role", message.role}, {"content", message.content}});
  }
  return messages;
}

struct PendingCase {
  Case row;
  std::vector<nlohmann::ordered_json> results;  ///< per slot: variant x repeat
  std::vector<std::string> cache_keys;          ///< per slot; empty without a cache
  std::size_t remaining = 0;
};

using Json = nlohmann::ordered_json;

Json usage_json(const Usage& usage) {
  Json out = Json::object();
  out["prompt_tokens"] = usage.prompt_tokens ? Json(*usage.prompt_tokens) : Json(nullptr);
  out["completion_tokens"] =
      usage.completion_tokens ? Json(*usage.completion_tokens) : Json(nullptr);
  return out;
}

/// The report's and the error tally's view of a failed request.
FirstError first_error(std::size_t index, const Case& row, const Variant& variant,
                       const RequestError& error, std::string source = {}) {
  return FirstError{
      index,        row.id, variant.id, std::move(source), to_string(error.kind), error.http_status,
      error.message};
}

Json error_json(const RequestError& error) {
  Json out = {{"kind", to_string(error.kind)}, {"message", error.message}};
  if (error.http_status != 0) {
    out["status"] = error.http_status;
  }
  return out;
}

/// Tokens a request will cost, for the tpm bucket before the answer says: about four
/// bytes of prompt per token, plus the completion budget when the params set one.
double estimate_tokens(const HttpRequest& request, const ProviderConfig& provider) {
  double tokens = static_cast<double>(request.body.size()) / 4.0;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (provider.params.contains(key) && provider.params[key].is_number()) {
      tokens += provider.params[key].get<double>();
    }
  }
  return tokens;
}

class Run {
 public:
  Run(const Config& config, const RunOptions& options, Transport& transport, Pipeline pipeline,
      std::size_t total_cases)
      : m_config(config),
        m_options(options),
        m_pipeline(std::move(pipeline)),
        m_engine(transport, provider_limits(m_pipeline.endpoints), global_limit(config, options),
                 system_clock(), options.seed),
        m_total_cases(total_cases),
        m_planned(total_cases * m_pipeline.variants.size() * repeat_of(config, options)),
        m_aggregates(m_pipeline.variants.size(),
                     VariantAggregate(m_pipeline.metrics.size(), total_cases)),
        m_report(options.output),
        m_rows(config.dataset) {
    const std::optional<Allowance>& allowance =
        options.max_errors ? options.max_errors : config.max_errors;
    m_errors.allowed = allowance ? allowance->of(m_planned) : 0;
    m_abort_on_errors = allowance.has_value();
    for (const ProviderConfig* provider : m_pipeline.endpoints) {
      m_transfer_options.push_back(transfer_options(*provider, options.verify_tls));
    }
    if (!options.cache_path.empty()) {
      m_cache = std::make_unique<ResponseCache>(options.cache_path);
    }
    m_corpus.resize(m_pipeline.variants.size());
    for (auto& per_metric : m_corpus) {
      for (const auto& metric : m_pipeline.metrics) {
        per_metric.push_back(metric->corpus_statistic());
      }
    }
  }

  ReportSummary execute(const std::function<void(const Progress&)>& on_progress) {
    const std::string started_at = utc_timestamp();
    m_progress.total = m_planned;
    m_on_progress = on_progress;
    while (true) {
      check_interrupts();
      if (!m_stop_reason.empty() && !m_cancelled && system_clock().now() >= m_grace_deadline) {
        m_engine.cancel_in_flight();
        m_cancelled = true;
      }
      if (m_stop_reason.empty()) {
        feed_engine();
      }
      flush_finished_cases();  // cases answered from the cache finish without the engine
      if (m_engine.idle() && (m_exhausted || !m_stop_reason.empty())) {
        break;
      }
      for (EngineResult& result : m_engine.step(std::chrono::milliseconds(100))) {
        record(result);
      }
      if (m_cache) {
        m_cache->commit();  // this turn's answers, journaled before the loop waits again
      }
      flush_finished_cases();
      report_progress();  // also while nothing finishes: waiting, backoff, rate limits
    }
    if (!m_stop_reason.empty()) {
      flush_all_finished_cases();
    }
    ReportSummary summary;
    summary.run.name = m_config.name;
    summary.run.started_at = started_at;
    summary.run.finished_at = utc_timestamp();
    summary.run.complete = m_stop_reason.empty();
    summary.run.stop_reason = m_stop_reason;
    summary.run.config_sha256 = m_config.sha256;
    summary.run.dataset_path = m_config.dataset.display_path;
    summary.run.dataset_cases = m_total_cases;
    summary.run.cases_evaluated = cases_evaluated(m_aggregates);
    summary.run.errors = m_errors;
    for (std::size_t v = 0; v < m_pipeline.variants.size(); ++v) {
      summary.variants.push_back(summarize_variant(v));
    }
    summary.run.repeat = static_cast<int>(m_repeat);
    summary.run.seed = m_options.seed;
    const std::size_t baseline = baseline_index(m_config, m_pipeline.variants);
    ComparisonOptions comparison_options;
    comparison_options.alpha = m_config.alpha;
    comparison_options.min_effect = m_config.min_effect;
    comparison_options.resample.seed = m_options.seed;
    for (const Comparison& comparison : compare_with_baseline(
             m_pipeline.variants, m_aggregates, m_pipeline.metrics, baseline, comparison_options)) {
      summary.comparisons.push_back(to_json(comparison));
    }
    summary.gates = evaluate_gates(m_config.gates, summary.variants, m_total_cases * m_repeat);
    return summary;
  }

  void write_report(const ReportSummary& summary) { m_report.finish(summary); }

  /// After the report is written: an endpoint that refused every connection is the
  /// config's problem, reported at its base_url.
  void throw_if_unreachable() const {
    if (m_unreachable) {
      const ProviderConfig& provider = *m_pipeline.endpoints[m_unreachable->provider];
      throw UserError(provider.base_url_where, provider.field + ".base_url",
                      fmt::format("cannot connect to {} (provider '{}'): {}", provider.base_url,
                                  provider.id, m_unreachable->message));
    }
  }

 private:
  static std::vector<ProviderLimits> provider_limits(
      const std::vector<const ProviderConfig*>& configs) {
    std::vector<ProviderLimits> limits;
    for (const ProviderConfig* provider : configs) {
      ProviderLimits l;
      l.concurrency = provider->concurrency;
      l.rpm = provider->rate_limit.rpm;
      l.tpm = provider->rate_limit.tpm;
      l.retry.max_retries = provider->retries;
      limits.push_back(l);
    }
    return limits;
  }

  static std::size_t repeat_of(const Config& config, const RunOptions& options) {
    return static_cast<std::size_t>(options.repeat > 0 ? options.repeat : config.repeat);
  }

  static int global_limit(const Config& config, const RunOptions& options) {
    return options.concurrency > 0 ? options.concurrency : config.concurrency;
  }

  void stop(const std::string& reason, bool cancel_now) {
    if (!m_stop_reason.empty()) {
      return;
    }
    m_stop_reason = reason;
    m_engine.drop_queued();
    m_grace_deadline =
        system_clock().now() + (cancel_now ? std::chrono::milliseconds(0) : m_options.grace);
  }

  void report_progress() {
    if (m_on_progress) {
      m_progress.errors = m_errors.failed();
      m_progress.engine = m_engine.status();
      m_on_progress(m_progress);
    }
  }

  /// With `max_errors` set, the run stops once the failures exceed it (exit 3); without it
  /// the run goes on and the caller reports the failures at the end.
  void check_error_allowance() {
    if (m_abort_on_errors && m_errors.exceed_allowance()) {
      stop("max_errors", true);
    }
  }

  /// "HTTP 200 in 12.3 ms", "answered from the cache", "failed (3 attempts): http_status
  /// 401: Incorrect API key provided".
  static std::string outcome_text(const EngineResult& result, bool cached,
                                  const tl::expected<Completion, RequestError>& completion) {
    const std::string attempts =
        result.attempts > 1 ? fmt::format(" ({} attempts)", result.attempts) : "";
    if (!completion) {
      const RequestError& error = completion.error();
      return fmt::format("{}{}: {}", cached ? "cached answer unreadable" : "failed", attempts,
                         describe_error(to_string(error.kind), error.http_status, error.message));
    }
    if (cached) {
      return "answered from the cache";
    }
    return fmt::format("HTTP {} in {:.1f} ms{}", result.result->status, completion->latency_ms,
                       attempts);
  }

  static std::size_t cases_evaluated(const std::vector<VariantAggregate>& aggregates) {
    if (aggregates.empty()) {
      return 0;
    }
    std::size_t count = 0;
    for (std::size_t i = 0; i < aggregates.front().finished.size(); ++i) {
      count += std::any_of(aggregates.begin(), aggregates.end(),
                           [i](const VariantAggregate& a) { return a.finished[i] > 0; })
                   ? 1
                   : 0;
    }
    return count;
  }

  void check_interrupts() {
    if (m_options.interrupts != nullptr && m_options.interrupts->load() > 0) {
      stop("interrupted", false);
    }
  }

  void feed_engine() {
    while (!m_exhausted && m_engine.wants_more() && m_stop_reason.empty()) {
      std::optional<Case> row = m_next_index < m_total_cases ? m_rows.next() : std::nullopt;
      if (!row) {
        m_exhausted = true;
        return;
      }
      const std::size_t index = m_next_index++;
      const std::size_t variants = m_pipeline.variants.size();
      PendingCase& pending = m_pending[index];
      pending.row = std::move(*row);
      pending.results.resize(variants * m_repeat);
      pending.cache_keys.resize(variants * m_repeat);
      pending.remaining = variants * m_repeat;
      for (std::size_t v = 0; v < variants; ++v) {
        submit_or_answer_from_cache(index, v, pending);
      }
    }
  }

  /// The request of variant `v` for one case, once per repeat (slot v * repeat + r; the
  /// engine tag is index * slots + slot). Each repeat has its own cache entry.
  void submit_or_answer_from_cache(std::size_t index, std::size_t v, PendingCase& pending) {
    const Variant& variant = m_pipeline.variants[v];
    EngineJob job =
        job_for(variant.provider, m_pipeline.prompts[variant.prompt].render(pending.row));
    for (std::size_t r = 0; r < m_repeat; ++r) {
      const std::size_t slot = v * m_repeat + r;
      job.tag = index * m_pipeline.variants.size() * m_repeat + slot;
      if (m_cache) {
        pending.cache_keys[slot] = cache_key(job.request, static_cast<int>(r));
        if (answer_from_cache(job, pending.cache_keys[slot])) {
          continue;
        }
      }
      m_engine.submit(job);  // a copy: the next repeat sends the same request
    }
  }

  /// The request of `prompt` to endpoint `endpoint`, its tag still to be set.
  EngineJob job_for(std::size_t endpoint, const RenderedPrompt& prompt) const {
    EngineJob job;
    job.provider = endpoint;
    job.request = m_pipeline.providers[endpoint]->build_request(prompt);
    job.options = m_transfer_options[endpoint];
    job.estimated_tokens = estimate_tokens(job.request, *m_pipeline.endpoints[endpoint]);
    return job;
  }

  /// Records the cache's answer to `job` as a hit, if the cache holds `key`.
  bool answer_from_cache(const EngineJob& job, const std::string& key) {
    std::optional<HttpResponse> cached = m_cache->get(key);
    if (!cached) {
      return false;
    }
    EngineResult hit{job.tag, job.provider, std::move(*cached), 0, 0};
    record(hit, true);
    return true;
  }

  void record(EngineResult& result, bool cached = false) {
    if ((result.tag & kJudgeTag) != 0) {
      record_verdict(result, cached);
      return;
    }
    const std::size_t slots = m_pipeline.variants.size() * m_repeat;
    const std::size_t slot = result.tag % slots;
    const std::size_t v = slot / m_repeat;
    const std::size_t index = result.tag / slots;
    PendingCase& pending = m_pending.at(index);
    if (!result.result && result.result.error().kind == ErrorKind::cancelled) {
      return;  // cut off by our own stop: unfinished, not failed; a re-run sends it again
    }
    const Variant& variant = m_pipeline.variants[v];
    VariantAggregate& aggregate = m_aggregates[v];
    std::vector<JudgeTicket> judge_requests;
    aggregate.attempts += static_cast<std::size_t>(result.attempts);
    aggregate.retries += static_cast<std::size_t>(std::max(0, result.attempts - 1));
    m_progress.retries += static_cast<std::size_t>(std::max(0, result.attempts - 1));

    Json out = {{"variant", variant.id}, {"repeat", slot % m_repeat}, {"output", nullptr},
                {"extracted", nullptr},  {"scores", Json::object()},  {"latency_ms", nullptr},
                {"cached", cached},      {"usage", nullptr},          {"error", nullptr}};
    if (result.attempts > 1) {
      out["attempts"] = result.attempts;
    }
    if (!cached) {
      note_connectivity(variant.provider, result.result);
    }
    const Provider& provider = *m_pipeline.providers[variant.provider];
    tl::expected<Completion, RequestError> completion =
        result.result ? provider.parse_response(*result.result)
                      : tl::unexpected(result.result.error());
    if (m_options.log) {  // formatted only when asked for: this runs once per request
      m_options.log(fmt::format("case {} {}: {}", pending.row.id, variant.id,
                                outcome_text(result, cached, completion)));
    }
    ++aggregate.finished[index];
    if (!completion) {
      out["error"] = error_json(completion.error());
      ++aggregate.errors;
      ++aggregate.errors_by_kind[to_string(completion.error().kind)];
      m_errors.requests.add_failure(first_error(index, pending.row, variant, completion.error()));
    } else {
      m_errors.requests.add_success();
      if (cached) {
        ++aggregate.cache_hits;
        ++m_progress.cache_hits;
      } else {
        if (m_cache) {
          m_cache->put(pending.cache_keys[slot], *result.result);
        }
        const auto& usage = completion->usage;
        if (usage.prompt_tokens || usage.completion_tokens) {
          m_engine.record_usage(variant.provider, result.estimated_tokens,
                                static_cast<double>(usage.prompt_tokens.value_or(0) +
                                                    usage.completion_tokens.value_or(0)));
        }
      }
      score(*completion, pending.row, v, index, out, judge_requests);
    }
    pending.results[slot] = std::move(out);
    pending.remaining += judge_requests.size();
    --pending.remaining;
    for (JudgeTicket& ticket : judge_requests) {
      ticket.index = index;
      ticket.slot = slot;
      submit_judge_request(std::move(ticket));
    }

    ++m_progress.done;
    report_progress();
    check_error_allowance();
  }

  /// Sends a judge's request (or answers it from the cache, the journal for judges too).
  void submit_judge_request(JudgeTicket ticket) {
    EngineJob job = job_for(*m_pipeline.judge_endpoint[ticket.metric], ticket.prompt);
    job.tag = kJudgeTag | m_next_judge_ticket++;
    const std::string key = m_cache ? cache_key(job.request, 0) : std::string();
    ticket.cache_key = key;
    m_judge_tickets.emplace(job.tag, std::move(ticket));  // before a cache hit records it
    if (m_cache && answer_from_cache(job, key)) {
      return;
    }
    m_engine.submit(std::move(job));
  }

  /// A judge's reply: its verdict becomes the metric's score on the result it judged; the
  /// prompt and the reply stay in the result's details for audit.
  void record_verdict(EngineResult& result, bool cached) {
    auto node = m_judge_tickets.extract(result.tag);
    if (!result.result && result.result.error().kind == ErrorKind::cancelled) {
      return;
    }
    const JudgeTicket& ticket = node.mapped();
    const std::size_t endpoint = *m_pipeline.judge_endpoint[ticket.metric];
    if (!cached) {
      note_connectivity(endpoint, result.result);
    }
    const auto& metric = static_cast<const JudgedMetric&>(*m_pipeline.metrics[ticket.metric]);
    PendingCase& pending = m_pending.at(ticket.index);
    Json& out = pending.results[ticket.slot];
    --pending.remaining;
    const tl::expected<Completion, RequestError> reply =
        result.result ? m_pipeline.providers[endpoint]->parse_response(*result.result)
                      : tl::unexpected(result.result.error());
    Json audit = {{"judge", metric.judge_id()},
                  {"prompt", messages_json(ticket.prompt)},
                  {"reply", reply ? Json(reply->text) : Json(nullptr)},
                  {"cached", cached}};
    out["details"][metric.name()] = std::move(audit);
    const Variant& variant = m_pipeline.variants[ticket.slot / m_repeat];
    const std::string source = "judge " + metric.judge_id();
    if (m_options.log) {
      m_options.log(fmt::format("case {} {} {}: {}", pending.row.id, variant.id, source,
                                outcome_text(result, cached, reply)));
    }
    if (!reply) {
      out["score_errors"][metric.name()] =
          fmt::format("the judge's request failed: {}", reply.error().message);
      m_errors.judges.add_failure(
          first_error(ticket.index, pending.row, variant, reply.error(), source));
      check_error_allowance();
      return;
    }
    if (!cached && m_cache) {
      m_cache->put(ticket.cache_key, *result.result);
    }
    const tl::expected<Score, std::string> verdict = metric.verdict(reply->text);
    if (!verdict) {
      out["score_errors"][metric.name()] = verdict.error();
      m_errors.judges.add_failure(FirstError{ticket.index, pending.row.id, variant.id, source,
                                             "unreadable_verdict", 0, verdict.error()});
      check_error_allowance();
      return;
    }
    m_errors.judges.add_success();
    out["scores"][metric.name()] = verdict->value;
    VariantAggregate& aggregate = m_aggregates[ticket.slot / m_repeat];
    aggregate.add_score(ticket.metric, ticket.index, verdict->value);
    if (verdict->pass) {
      out["pass"][metric.name()] = *verdict->pass;
      aggregate.add_pass(ticket.metric, *verdict->pass);
    }
  }

  /// An endpoint that refuses every connection is a configuration problem (a wrong
  /// base_url or a server that is not running): stop early instead of failing every case.
  void note_connectivity(std::size_t provider, const TransferResult& result) {
    Connectivity& state = m_connectivity[provider];
    if (result) {
      ++state.answers;
      state.consecutive_refusals = 0;
      return;
    }
    if (!result.error().no_connection) {
      return;
    }
    ++state.consecutive_refusals;
    constexpr std::size_t kRefusalsBeforeGivingUp = 8;
    if (state.answers == 0 && !m_unreachable &&
        state.consecutive_refusals >= std::min(kRefusalsBeforeGivingUp, m_total_cases)) {
      m_unreachable = Unreachable{provider, result.error().message};
      stop("unreachable", true);
    }
  }

  void score(const Completion& completion, const Case& row, std::size_t v, std::size_t index,
             Json& out, std::vector<JudgeTicket>& judge_requests) {
    const Variant& variant = m_pipeline.variants[v];
    VariantAggregate& aggregate = m_aggregates[v];
    out["output"] = completion.text;
    out["latency_ms"] = completion.latency_ms;
    out["usage"] = usage_json(completion.usage);
    aggregate.latencies.push_back(completion.latency_ms);
    aggregate.prompt_tokens += completion.usage.prompt_tokens.value_or(0);
    aggregate.completion_tokens += completion.usage.completion_tokens.value_or(0);
    if (const auto& pricing = m_config.providers[variant.provider].pricing) {
      aggregate.cost_usd += cost_usd(completion.usage, *pricing).value_or(0);
    }

    const auto extracted = m_pipeline.extractors[variant.prompt].apply(completion.text);
    if (!extracted) {
      out["error"] = {{"kind", "extract"}, {"message", extracted.error()}};
      ++aggregate.errors;
      ++aggregate.errors_by_kind["extract"];
      ++m_errors.extract_failures;
      return;
    }
    out["extracted"] = *extracted;
    Json passed = Json::object();
    Json score_errors = Json::object();
    Json details = Json::object();
    for (std::size_t m = 0; m < m_pipeline.metrics.size(); ++m) {
      const Metric& metric = *m_pipeline.metrics[m];
      const ScoreInput input{*extracted, completion.text, row.reference,
                             row.vars,   completion,      &m_config.providers[variant.provider],
                             row.id};
      if (m_pipeline.judge_endpoint[m]) {
        try {
          const auto& judged = static_cast<const JudgedMetric&>(metric);
          judge_requests.push_back(JudgeTicket{m, judged.judge_prompt(input), 0, 0, {}});
        } catch (const UserError& e) {
          score_errors[metric.name()] = e.what();
        }
        continue;
      }
      const auto result = metric.score(input);
      if (metric.external()) {
        note_scorer_outcome(metric, index, row, variant, result);
      }
      if (!result) {
        score_errors[metric.name()] = result.error();
        continue;
      }
      out["scores"][metric.name()] = result->value;
      if (!result->detail.is_null()) {
        details[metric.name()] = result->detail;
      }
      aggregate.add_score(m, index, result->value);
      if (const auto& corpus = m_corpus[v][m]) {
        corpus->add(input);
      }
      if (result->pass) {
        passed[metric.name()] = *result->pass;
        aggregate.add_pass(m, *result->pass);
      }
    }
    if (!passed.empty()) {
      out["pass"] = std::move(passed);
    }
    if (!score_errors.empty()) {
      out["score_errors"] = std::move(score_errors);
    }
    if (!details.empty()) {
      out["details"] = std::move(details);
    }
  }

  void note_scorer_outcome(const Metric& metric, std::size_t index, const Case& row,
                           const Variant& variant, const tl::expected<Score, std::string>& result) {
    if (result) {
      m_errors.scorers.add_success();
      return;
    }
    m_errors.scorers.add_failure(FirstError{index, row.id, variant.id, "metric " + metric.name(),
                                            "scorer", 0, result.error()});
  }

  void add_to_report(PendingCase& pending) {
    const Case& row = pending.row;
    Json out = {{"id", row.id},
                {"vars", row.vars},
                {"reference", row.reference},
                {"results", std::move(pending.results)}};
    m_report.add_case(out);
  }

  void flush_finished_cases() {
    while (true) {
      auto it = m_pending.find(m_next_flush);
      if (it == m_pending.end() || it->second.remaining != 0) {
        return;
      }
      add_to_report(it->second);
      m_pending.erase(it);
      ++m_next_flush;
    }
  }

  /// A stopped run reports every result it has, so the report agrees with its statistics:
  /// unfinished cases appear with the variants that did finish (a re-run completes them
  /// from the cache).
  void flush_all_finished_cases() {
    for (auto& [index, pending] : m_pending) {
      if (pending.remaining != 0) {
        std::erase_if(pending.results, [](const Json& result) { return result.is_null(); });
      }
      if (!pending.results.empty()) {
        add_to_report(pending);
      }
    }
    m_pending.clear();
  }

  VariantSummary summarize_variant(std::size_t v) const {
    const Variant& variant = m_pipeline.variants[v];
    const VariantAggregate& aggregate = m_aggregates[v];
    VariantSummary summary;
    summary.id = variant.id;
    summary.prompt = m_config.prompts[variant.prompt].id;
    summary.provider = m_config.providers[variant.provider].id;
    summary.model = m_config.providers[variant.provider].model;
    summary.cases =
        static_cast<std::size_t>(std::count_if(aggregate.finished.begin(), aggregate.finished.end(),
                                               [](std::uint16_t results) { return results > 0; }));
    summary.errors = aggregate.errors;
    summary.cache_hits = aggregate.cache_hits;
    summary.attempts = aggregate.attempts;
    summary.retries = aggregate.retries;
    summary.errors_by_kind = aggregate.errors_by_kind;
    for (std::size_t m = 0; m < m_pipeline.metrics.size(); ++m) {
      summary.metrics.push_back(
          summarize_metric(*m_pipeline.metrics[m], aggregate, m, m_repeat, m_options.seed));
      if (const auto& corpus = m_corpus[v][m]; corpus && summary.metrics.back().n > 0) {
        summary.metrics.back().corpus = corpus->value();
      }
    }
    if (!aggregate.latencies.empty()) {
      summary.latency_p50 = quantile(aggregate.latencies, 0.5);
      summary.latency_p90 = quantile(aggregate.latencies, 0.9);
      summary.latency_p99 = quantile(aggregate.latencies, 0.99);
    }
    summary.prompt_tokens = aggregate.prompt_tokens;
    summary.completion_tokens = aggregate.completion_tokens;
    if (m_config.providers[variant.provider].pricing) {
      summary.cost_usd = aggregate.cost_usd;
    }
    return summary;
  }

  struct Connectivity {
    std::size_t answers = 0;
    std::size_t consecutive_refusals = 0;
  };
  struct Unreachable {
    std::size_t provider;
    std::string message;
  };

  const Config& m_config;
  const RunOptions& m_options;
  Pipeline m_pipeline;
  Engine m_engine;
  std::size_t m_total_cases;
  std::size_t m_planned;
  std::size_t m_repeat = repeat_of(m_config, m_options);
  std::vector<VariantAggregate> m_aggregates;
  ReportWriter m_report;
  CaseReader m_rows;
  std::unique_ptr<ResponseCache> m_cache;
  std::vector<TransferOptions> m_transfer_options;
  std::map<std::size_t, PendingCase> m_pending;
  std::size_t m_next_index = 0;
  std::size_t m_next_flush = 0;
  RunErrors m_errors;
  bool m_abort_on_errors = false;  ///< max_errors was set: stop as soon as it is exceeded
  bool m_exhausted = false;
  Progress m_progress;
  std::function<void(const Progress&)> m_on_progress;
  std::string m_stop_reason;
  Clock::time_point m_grace_deadline{};
  bool m_cancelled = false;
  std::vector<Connectivity> m_connectivity = std::vector<Connectivity>(m_pipeline.endpoints.size());
  /// Judge requests in flight, by engine tag (kJudgeTag | a counter).
  std::map<std::uint64_t, JudgeTicket> m_judge_tickets;
  /// Per variant and metric: the corpus-level statistic, for metrics that have one.
  std::vector<std::vector<std::unique_ptr<CorpusStatistic>>> m_corpus;
  std::uint64_t m_next_judge_ticket = 0;
  std::optional<Unreachable> m_unreachable;
};

}  // namespace

std::vector<Variant> plan_variants(const Config& config, const std::vector<std::string>& prompt_ids,
                                   const std::vector<std::string>& provider_ids) {
  std::vector<std::string> all_prompts;
  std::vector<std::string> all_providers;
  for (const auto& p : config.prompts) {
    all_prompts.push_back(p.id);
  }
  for (const auto& p : config.providers) {
    all_providers.push_back(p.id);
  }
  const auto check = [](const std::vector<std::string>& wanted,
                        const std::vector<std::string>& known, const char* flag, const char* noun) {
    for (const auto& id : wanted) {
      if (std::find(known.begin(), known.end(), id) == known.end()) {
        const std::string suggestion = closest_match(id, known);
        throw UserError(fmt::format(
            "{} '{}' matches no {} in the config{}", flag, id, noun,
            suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
      }
    }
  };
  check(prompt_ids, all_prompts, "--prompt", "prompt");
  check(provider_ids, all_providers, "--provider", "provider");
  const auto selected = [](const std::vector<std::string>& filter, const std::string& id) {
    return filter.empty() || std::find(filter.begin(), filter.end(), id) != filter.end();
  };
  std::vector<Variant> variants;
  for (std::size_t p = 0; p < config.prompts.size(); ++p) {
    for (std::size_t q = 0; q < config.providers.size(); ++q) {
      if (selected(prompt_ids, config.prompts[p].id) &&
          selected(provider_ids, config.providers[q].id)) {
        variants.push_back({config.prompts[p].id + "/" + config.providers[q].id, p, q});
      }
    }
  }
  return variants;
}

namespace {

/// Finds a repeated case id with 8 bytes of memory per case: ids are hashed while the
/// pre-flight pass streams the dataset; only if two hashes collide is the dataset read
/// again, keeping just the colliding ids, to name the duplicate (or dismiss a collision).
class DuplicateIdCheck {
 public:
  void add(const std::string& id) { m_hashes.push_back(XXH3_64bits(id.data(), id.size())); }

  void check(const DatasetConfig& dataset, std::size_t cases) {
    std::sort(m_hashes.begin(), m_hashes.end());
    std::unordered_set<std::uint64_t> repeated;
    for (std::size_t i = 1; i < m_hashes.size(); ++i) {
      if (m_hashes[i] == m_hashes[i - 1]) {
        repeated.insert(m_hashes[i]);
      }
    }
    if (repeated.empty()) {
      return;
    }
    std::unordered_set<std::string> seen;
    CaseReader rows(dataset);
    for (std::size_t i = 0; i < cases; ++i) {
      const std::optional<Case> row = rows.next();
      if (!row) {
        return;
      }
      if (repeated.count(XXH3_64bits(row->id.data(), row->id.size())) != 0 &&
          !seen.insert(row->id).second) {
        throw UserError(row->where, "", fmt::format("duplicate case id '{}'", row->id));
      }
    }
  }

 private:
  std::vector<std::uint64_t> m_hashes;
};

}  // namespace

Preflight preflight(const Config& config, const std::vector<Variant>& variants,
                    std::optional<std::size_t> limit) {
  std::vector<PromptTemplate> prompts;
  for (const auto& prompt : config.prompts) {
    prompts.emplace_back(prompt);
  }
  for (const auto& prompt : config.prompts) {
    (void)Extractor(prompt.extract ? *prompt.extract : config.extract);
  }
  // Judges' rubrics are templates too: a variable a case lacks is found before any request.
  std::vector<std::unique_ptr<Metric>> judged;
  for (const auto& metric : config.metrics) {
    if (metric.name == "llm_judge") {
      judged.push_back(make_metric(metric));
    }
  }
  const Completion no_completion;
  const std::string no_output;
  CaseReader rows(config.dataset);
  DuplicateIdCheck ids;
  Preflight result;
  while (!limit || result.cases < *limit) {
    std::optional<Case> row = rows.next();
    if (!row) {
      break;
    }
    ids.add(row->id);
    for (const Variant& variant : variants) {
      (void)prompts[variant.prompt].render(*row);
    }
    for (const auto& metric : judged) {
      const ScoreInput input{no_output,     no_output, row->reference, row->vars,
                             no_completion, nullptr,   row->id};
      (void)static_cast<const JudgedMetric&>(*metric).judge_prompt(input);
    }
    ++result.cases;
  }
  if (result.cases == 0) {
    throw UserError(SourceLocation{config.dataset.display_path}, "", "the dataset has no rows");
  }
  ids.check(config.dataset, result.cases);
  result.dataset_sha256 = util::sha256_file(config.dataset.path);
  return result;
}

ReportSummary run_eval(const Config& config, const RunOptions& options, Transport& transport,
                       const std::function<void(const Progress&)>& on_progress) {
  const std::vector<Variant> variants =
      plan_variants(config, options.prompt_ids, options.provider_ids);
  const Preflight checked = preflight(config, variants, options.limit);
  Pipeline pipeline = build_pipeline(config, variants);
  Run run(config, options, transport, std::move(pipeline), checked.cases);
  ReportSummary summary = run.execute(on_progress);
  summary.run.dataset_sha256 = checked.dataset_sha256;
  run.write_report(summary);
  run.throw_if_unreachable();
  return summary;
}

}  // namespace promptbench
