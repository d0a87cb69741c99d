// SPDX-License-Identifier: Apache-2.0
// The evaluation loop. Cases are read lazily and turned into requests only while the
// broker wants more, so memory holds the requests in flight plus a few numbers per case.
#include "runner/run.hpp"

#include "runner/request_log.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace promptbench {

namespace {

std::size_t repeat_of(const Config& config, const RunOptions& options) {
  return static_cast<std::size_t>(options.repeat > 0 ? options.repeat : config.repeat);
}

bool cancelled(const Reply& reply) {
  return !reply.result && reply.result.error().kind == ErrorKind::cancelled;
}

/// Results of recorded variants answered per turn of the loop at most (see Run::m_local).
constexpr std::size_t kMaxLocalAnswers = 256;

/// The error kind of a result its recorded provider's file has no line for.
constexpr const char* kNotRecorded = "not_recorded";

/// "3 answers received after the last commit that succeeded are WHERE (a re-run sends them
/// again)": what a cache that failed could not keep.
std::string answers_not_committed(std::size_t count, std::string_view where) {
  return fmt::format(
      "{} answer{} received after the last commit that succeeded {} {} (a re-run "
      "sends {} again)",
      count, count == 1 ? "" : "s", count == 1 ? "is" : "are", where, count == 1 ? "it" : "them");
}

}  // namespace

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::interrupted:
      return "interrupted";
    case StopReason::max_errors:
      return "max_errors";
    case StopReason::unreachable:
      return "unreachable";
    case StopReason::cache_error:
      return "cache_error";
    case StopReason::report_error:
      return "report_error";
    case StopReason::none:
      break;
  }
  return "";
}

Run::Run(const Config& config, const RunOptions& options, Transport& transport, Pipeline pipeline,
         const Preflight& rows)
    : m_config(config),
      m_options(options),
      m_clock(options.clock != nullptr ? *options.clock : system_clock()),
      m_pipeline(std::move(pipeline)),
      m_dataset_rows(rows.cases),
      m_total_cases(rows.shard_cases),
      m_selected_cases(rows.selected_cases),
      m_selector(rows.selector),
      m_repeat(repeat_of(config, options)),
      m_slots(m_pipeline.variants.size() * m_repeat),
      m_summary(summary_plan(config, m_pipeline, m_total_cases, m_repeat, options.seed)),
      m_concurrency(plan_concurrency(config, m_pipeline.variants, options.concurrency)),
      m_rows(config.dataset),
      m_cache(options.cache_path.empty() ? nullptr
                                         : std::make_unique<ResponseCache>(options.cache_path)),
      m_broker(transport, broker_endpoints(m_pipeline, options.verify_tls, m_concurrency),
               m_concurrency.global, m_clock, options.seed, m_cache.get()),
      m_report(options.output),
      m_cases([this](CaseRecord record) { hand_on(std::move(record)); }),
      m_scorer(config, m_pipeline, m_errors) {
  const std::optional<Allowance>& allowance =
      options.max_errors ? options.max_errors : config.max_errors;
  const std::size_t planned = m_total_cases * m_slots;
  m_errors.allowed = allowance ? allowance->of(planned) : 0;
  m_abort_on_errors = allowance.has_value();
  for (const Variant& variant : m_pipeline.variants) {
    const auto* recorded = providers::as_recorded(*m_pipeline.providers[variant.provider]);
    m_recorded.push_back(recorded != nullptr ? &recorded->outputs() : nullptr);
  }
  m_broker.set_refusals_to_give_up(std::min<std::size_t>(8, m_total_cases));
  // Judge requests count like every other: one per judged metric of each result, taken
  // back from the total when a result cannot be judged.
  m_progress.total = planned * (1 + m_pipeline.judged_metrics);
}

ReportSummary Run::execute(const std::function<void(const Progress&)>& on_progress) {
  const std::string started_at = utc_timestamp(m_clock.wall_now());
  m_on_progress = on_progress;
  while (true) {
    check_interrupts();
    if (m_stop != StopReason::none && !m_cancelled && m_clock.now() >= m_grace_deadline) {
      m_broker.cancel_in_flight();
      m_cancelled = true;
    }
    if (m_stop == StopReason::none) {
      feed();
    }
    // Recorded results are answered at once; the turn then does not wait for the network,
    // and the loop goes round at least once more to hand them on.
    const bool answered_locally = answer_locally() > 0;
    if (!answered_locally && m_broker.idle() && (m_exhausted || m_stop != StopReason::none)) {
      if (m_broker.uncommitted() == 0 || m_broker.cache_failure()) {
        break;
      }
      m_broker.commit();  // the last window's answers; a failure stops the run
      check_file_faults();
      continue;
    }
    for (Reply& reply : m_broker.step(std::chrono::milliseconds(answered_locally ? 0 : 100))) {
      handle(reply);
    }
    if (m_broker.unreachable()) {
      stop(StopReason::unreachable, true);
    }
    // Answers are journaled in groups, a window of a few ms (README "Cache and journal");
    // a stopping run commits every turn: a second Ctrl-C exits at once.
    if (m_stop == StopReason::none) {
      m_broker.commit_when_due();
    } else {
      m_broker.commit();
    }
    m_cases.flush_finished();
    check_file_faults();
    report_progress();  // also while nothing finishes: waiting, backoff, rate limits
  }
  if (m_stop != StopReason::none) {
    m_cases.flush_all();
  }
  return summarize(started_at);
}

void Run::throw_if_unreachable() const {
  if (const auto& unreachable = m_broker.unreachable()) {
    const ProviderConfig& provider = *m_pipeline.endpoints[unreachable->endpoint];
    if (provider.base_urls.size() > 1) {
      throw UserError(
          provider.base_url_where, provider.field + ".base_urls",
          fmt::format("cannot connect to any of {} (provider '{}'): {}",
                      fmt::join(provider.base_urls, ", "), provider.id, unreachable->message));
    }
    throw UserError(provider.base_url_where, provider.field + ".base_url",
                    fmt::format("cannot connect to {} (provider '{}'): {}", provider.base_url,
                                provider.id, unreachable->message));
  }
}

void Run::stop(StopReason reason, bool cancel_now) {
  if (m_stop != StopReason::none) {
    return;
  }
  m_stop = reason;
  m_broker.drop_queued();
  m_local.clear();  // not answered yet: like a request not sent, left to a re-run
  m_grace_deadline = m_clock.now() + (cancel_now ? std::chrono::milliseconds(0) : m_options.grace);
}

/// Both stop like an interrupt: nothing new is sent, the requests in flight (paid for) may
/// finish within the grace period. Their answers go to the report when the cache failed,
/// to the cache when the report's spool did.
void Run::check_file_faults() {
  if (m_broker.cache_failure()) {
    stop(StopReason::cache_error, false);
  }
  if (m_report.failure()) {
    stop(StopReason::report_error, false);
  }
}

void Run::write_report(const ReportSummary& summary) {
  try {
    m_report.finish(summary);
  } catch (const UserError& error) {
    if (m_options.cache_path.empty()) {
      throw;
    }
    if (const auto& failure = m_broker.cache_failure()) {
      throw UserError(fmt::format("{}; and {}: {}", error.what(), *failure,
                                  answers_not_committed(m_broker.uncommitted(), "in neither")));
    }
    throw UserError(
        fmt::format("{}; the answers received are in the cache {}: run the same "
                    "command again once the report can be written and they are "
                    "not sent again",
                    error.what(), m_options.cache_path.string()));
  }
}

void Run::check_interrupts() {
  if (m_options.interrupts != nullptr && m_options.interrupts->load() > 0) {
    stop(StopReason::interrupted, false);
  }
}

/// With `max_errors` set, the run stops once the failures exceed it (exit 3); without it
/// the run goes on and the caller reports the failures at the end.
void Run::check_error_allowance() {
  if (m_abort_on_errors && m_errors.exceed_allowance()) {
    stop(StopReason::max_errors, true);
  }
}

void Run::report_progress() {
  if (m_on_progress) {
    m_progress.errors = m_errors.failed();
    m_progress.engine = m_broker.status();
    m_on_progress(m_progress);
  }
}

/// Cases keep their position in the dataset as their index, in a selection and a shard too:
/// the report's order, the pairing of variants and the merge of shards all go by it.
void Run::feed() {
  while (!m_exhausted && m_broker.wants_more() && m_local.size() < kMaxLocalAnswers &&
         m_stop == StopReason::none) {
    std::optional<Case> row = m_next_index < m_dataset_rows ? m_rows.next() : std::nullopt;
    if (!row) {
      m_exhausted = true;
      return;
    }
    const std::size_t index = m_next_index++;
    if (runs(row->id)) {
      submit_case(index, m_cases.open(index, std::move(*row), m_slots));
    }
  }
}

/// Each variant's request for one case, once per repeat (slot v * repeat + r); each repeat
/// has its own cache entry. A recorded variant's results are queued to be answered here.
void Run::submit_case(std::size_t index, PendingCase& pending) {
  for (std::size_t v = 0; v < m_pipeline.variants.size(); ++v) {
    const Variant& variant = m_pipeline.variants[v];
    if (m_recorded[v] != nullptr) {
      for (std::size_t r = 0; r < m_repeat; ++r) {
        m_local.push_back(Ticket{Ticket::Kind::model, index, v * m_repeat + r, 0});
      }
      continue;
    }
    const Provider& provider = *m_pipeline.variant_providers[v];
    const HttpRequest request = provider.build_request(
        m_pipeline.prompts[variant.prompt].render(pending.row), pending.row.vars);
    const double tokens = provider.estimate_tokens(request);
    for (std::size_t r = 0; r < m_repeat; ++r) {
      const Ticket ticket{Ticket::Kind::model, index, v * m_repeat + r, 0};
      m_broker.submit(ticket, variant.provider, request, tokens, static_cast<int>(r));
    }
  }
}

void Run::handle(Reply& reply) {
  if (cancelled(reply)) {
    return;  // cut off by our own stop: unfinished, not failed; a re-run sends it again
  }
  if (reply.ticket.kind == Ticket::Kind::judge) {
    handle_judge_reply(reply);
  } else {
    handle_model_reply(reply);
  }
  ++m_progress.done;
  if (reply.cached) {
    ++m_progress.cache_hits;
  }
  report_progress();
  check_error_allowance();
}

void Run::note_attempts(CaseResult& result, const Reply& reply) {
  const int retries = std::max(0, reply.attempts - 1);
  result.attempts += reply.attempts;
  result.retries += retries;
  m_progress.retries += static_cast<std::size_t>(retries);
}

void Run::handle_model_reply(Reply& reply) {
  const Ticket& ticket = reply.ticket;
  PendingCase& pending = m_cases.at(ticket.case_index);
  const Variant& variant = m_pipeline.variants[ticket.slot / m_repeat];
  const ResultPlace place{ticket.case_index, pending.row, variant};
  CaseResult& result = pending.results[ticket.slot].emplace();
  result.variant = variant.id;
  result.repeat = ticket.slot % m_repeat;
  result.cached = reply.cached;
  note_attempts(result, reply);
  const Provider& provider = *m_pipeline.variant_providers[ticket.slot / m_repeat];
  const tl::expected<Completion, RequestError> completion =
      reply.result ? provider.parse_response(*reply.result) : tl::unexpected(reply.result.error());
  log_request(m_options.log, place, "", reply, completion);
  if (!completion) {
    const RequestError& error = completion.error();
    result.error = ResultError{to_string(error.kind), error.message, error.http_status};
    m_errors.requests.add_failure(first_error(place, error));
  } else {
    m_broker.remember(reply);
    const Usage& usage = completion->usage;
    if (usage.prompt_tokens || usage.completion_tokens) {
      m_broker.record_usage(reply, static_cast<double>(usage.prompt_tokens.value_or(0) +
                                                       usage.completion_tokens.value_or(0)));
    }
  }
  finish_result(ticket, place, result, completion ? &*completion : nullptr);
}

void Run::finish_result(const Ticket& ticket, const ResultPlace& place, CaseResult& result,
                        const Completion* completion) {
  std::vector<JudgeRequest> judge_requests;
  if (completion != nullptr) {
    m_errors.requests.add_success();
    judge_requests = m_scorer.score(*completion, place, result);
  }
  m_progress.total -= m_pipeline.judged_metrics - judge_requests.size();
  --m_cases.at(ticket.case_index).remaining;
  send_judge_requests(ticket.case_index, ticket.slot, std::move(judge_requests));
}

std::size_t Run::answer_locally() {
  std::size_t answered = 0;
  while (!m_local.empty() && m_stop == StopReason::none) {
    const Ticket ticket = m_local.front();
    m_local.pop_front();
    handle_recorded(ticket);
    ++m_progress.done;
    ++answered;
    check_error_allowance();
  }
  if (answered > 0) {
    report_progress();
  }
  return answered;
}

/// A recorded variant's result, answered from its file and scored exactly as the model's
/// answer would be. A result the file has no line for fails like a request (counted against
/// max_errors, exit 3), never skipped: a skipped case would flatter the scores. Recorded
/// results are never cached and take no attempts: nothing was sent.
void Run::handle_recorded(const Ticket& ticket) {
  PendingCase& pending = m_cases.at(ticket.case_index);
  const std::size_t v = ticket.slot / m_repeat;
  const Variant& variant = m_pipeline.variants[v];
  const ResultPlace place{ticket.case_index, pending.row, variant};
  CaseResult& result = pending.results[ticket.slot].emplace();
  result.variant = variant.id;
  result.repeat = ticket.slot % m_repeat;
  const providers::RecordedOutputs& outputs = *m_recorded[v];
  const std::string& prompt_id = m_config.prompts[variant.prompt].id;
  const providers::RecordedOutput* line = outputs.find(pending.row.id, prompt_id, result.repeat);
  if (line == nullptr) {
    const std::string message = fmt::format(
        "no recorded output for case '{}' (prompt '{}'{}) in {}", pending.row.id, prompt_id,
        m_repeat > 1 ? fmt::format(", repeat {}", result.repeat) : "", outputs.display_path());
    result.error = ResultError{kNotRecorded, message, 0};
    m_errors.requests.add_failure(
        FirstError{place.index, place.row.id, variant.id, "", kNotRecorded, 0, message});
    if (m_options.log) {
      m_options.log(fmt::format("case {} {}: failed: {}", place.row.id, variant.id,
                                describe_error(kNotRecorded, 0, message)));
    }
    finish_result(ticket, place, result, nullptr);
    return;
  }
  if (m_options.log) {
    m_options.log(fmt::format("case {} {}: recorded output ({}:{})", place.row.id, variant.id,
                              line->where.file, line->where.line));
  }
  const Completion completion = providers::completion_of(*line);
  finish_result(ticket, place, result, &completion);
  if (!line->latency_ms) {
    leave_out_latency(result);
  }
}

/// A recorded line without `latency_ms`: the result has no latency rather than a made-up 0,
/// so the latency figures leave it out and the latency metric leaves it unscored (and a gate
/// over it fails, as over any unscored result).
void Run::leave_out_latency(CaseResult& result) const {
  result.latency_ms.reset();
  result.output_tokens_per_second.reset();
  for (std::size_t m = 0; m < m_config.metrics.size(); ++m) {
    if (m_config.metrics[m].name != "latency") {
      continue;
    }
    for (MetricOutcome& outcome : result.metrics) {
      if (outcome.name == m_pipeline.metrics[m]->name() && outcome.score) {
        outcome.score.reset();
        outcome.pass.reset();
        outcome.error = "the recorded output has no latency_ms";
      }
    }
  }
}

/// Sends a result's judge requests (or answers them from the cache, the journal for
/// judges too).
void Run::send_judge_requests(std::size_t index, std::size_t slot,
                              std::vector<JudgeRequest> requests) {
  m_cases.at(index).remaining += requests.size();
  for (JudgeRequest& request : requests) {
    const std::size_t endpoint = *m_pipeline.judge_endpoint[request.metric];
    const Provider& judge = *m_pipeline.providers[endpoint];
    HttpRequest http = judge.build_request(request.prompt, m_cases.at(index).row.vars);
    const double tokens = judge.estimate_tokens(http);
    m_broker.submit(Ticket{Ticket::Kind::judge, index, slot, request.metric}, endpoint,
                    std::move(http), tokens, 0);
  }
}

/// A judge's reply: its verdict becomes the metric's score on the result it judged.
void Run::handle_judge_reply(Reply& reply) {
  const Ticket& ticket = reply.ticket;
  PendingCase& pending = m_cases.at(ticket.case_index);
  CaseResult& result = *pending.results[ticket.slot];
  const Variant& variant = m_pipeline.variants[ticket.slot / m_repeat];
  const ResultPlace place{ticket.case_index, pending.row, variant};
  note_attempts(result, reply);
  const tl::expected<Completion, RequestError> completion =
      reply.result ? m_pipeline.providers[reply.endpoint]->parse_response(*reply.result)
                   : tl::unexpected(reply.result.error());
  const auto& judged = static_cast<const JudgedMetric&>(*m_pipeline.metrics[ticket.metric]);
  log_request(m_options.log, place, "judge " + judged.judge_id(), reply, completion);
  if (completion) {
    m_broker.remember(reply);
  }
  m_scorer.apply_verdict(ticket.metric, completion, reply.cached, place, result);
  --pending.remaining;
}

/// Limit, then selection, then shard (README "Choosing cases").
bool Run::runs(const std::string& case_id) const {
  return (!m_selector || m_selector->selects(case_id)) && m_options.shard.holds(case_id);
}

void Run::hand_on(CaseRecord record) {
  if (m_options.on_case) {
    m_options.on_case(record);
  }
  m_report.add_case(record);
  m_summary.add(record);
}

ReportSummary Run::summarize(const std::string& started_at) const {
  ReportSummary summary;
  RunInfo& run = summary.run;
  run.name = m_config.name;
  run.started_at = started_at;
  run.finished_at = utc_timestamp(m_clock.wall_now());
  run.complete = m_stop == StopReason::none;
  run.stop_reason = to_string(m_stop);
  if (m_stop == StopReason::cache_error) {
    const std::size_t unsaved = m_broker.uncommitted();
    run.stop_detail =
        unsaved == 0
            ? *m_broker.cache_failure()
            : fmt::format("{}; {}", *m_broker.cache_failure(),
                          answers_not_committed(unsaved, "in the report but not in the cache"));
  }
  run.config_sha256 = m_config.sha256;
  run.dataset_path = m_config.dataset.display_path;
  run.dataset_cases = m_dataset_rows;
  if (!m_options.selection.selects_all()) {
    run.selection = m_options.selection.to_json(m_selected_cases);
  }
  run.shard = m_options.shard;
  run.shard_cases = m_total_cases;
  run.cases_evaluated = m_summary.cases_evaluated();
  run.errors = m_errors;
  run.repeat = static_cast<int>(m_repeat);
  run.seed = m_options.seed;
  const SummaryPlan& plan = m_summary.plan();
  run.baseline = plan.variants.empty() ? "" : plan.variants[plan.baseline].id;
  run.alpha = plan.alpha;
  run.min_effect = plan.min_effect;
  for (std::size_t e = 0; e < m_pipeline.endpoints.size(); ++e) {
    for (const ReplicaTraffic& replica : m_broker.replica_traffic(e)) {
      run.replicas.push_back(
          {m_pipeline.endpoints[e]->id, replica.base_url, replica.requests, replica.failures});
    }
  }
  SummaryFigures figures = m_summary.figures();
  summary.variants = std::move(figures.variants);
  summary.comparisons = std::move(figures.comparisons);
  summary.gates = std::move(figures.gates);
  summary.slices = std::move(figures.slices);
  return summary;
}

}  // namespace promptbench
