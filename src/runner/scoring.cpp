// SPDX-License-Identifier: Apache-2.0
#include "runner/scoring.hpp"

#include <fmt/format.h>

namespace promptbench {

namespace {

nlohmann::ordered_json messages_json(const RenderedPrompt& prompt) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const ChatMessage& message : prompt.messages) {
    messages.push_back({{"role", message.role}, {"content", message.content}});
  }
  return messages;
}

}  // namespace

const nlohmann::json* reference_of(const Metric& metric, const Case& row) {
  if (metric.reference_field().empty()) {
    return &row.reference;
  }
  const auto found = row.vars.find(metric.reference_field());
  return found == row.vars.end() || found->is_null() ? nullptr : &*found;
}

std::optional<double> output_tokens_per_second(const Completion& completion) {
  if (!completion.usage.completion_tokens) {
    return std::nullopt;
  }
  const double generating_ms = completion.latency_ms - completion.ttft_ms.value_or(0);
  if (generating_ms <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(*completion.usage.completion_tokens) * 1000.0 / generating_ms;
}

FirstError first_error(const ResultPlace& place, const RequestError& error, std::string source) {
  return FirstError{place.index,           place.row.id,      place.variant.id, std::move(source),
                    to_string(error.kind), error.http_status, error.message};
}

std::vector<JudgeRequest> Scorer::score(const Completion& completion, const ResultPlace& place,
                                        CaseResult& out) const {
  const ProviderConfig& provider = m_config.providers[place.variant.provider];
  out.output = completion.text;
  out.latency_ms = completion.latency_ms;
  out.ttft_ms = completion.ttft_ms;
  out.output_tokens_per_second = output_tokens_per_second(completion);
  out.has_usage = true;
  out.prompt_tokens = completion.usage.prompt_tokens;
  out.completion_tokens = completion.usage.completion_tokens;
  if (provider.pricing) {
    out.cost_usd = cost_usd(completion.usage, *provider.pricing);
  }
  const auto extracted = m_pipeline.extractors[place.variant.prompt].apply(completion.text);
  if (!extracted) {
    out.error = ResultError{"extract", extracted.error(), 0};
    ++m_errors.extract_failures;
    return {};
  }
  out.extracted = *extracted;
  std::vector<JudgeRequest> judge_requests;
  for (std::size_t m = 0; m < m_pipeline.metrics.size(); ++m) {
    const Metric& metric = *m_pipeline.metrics[m];
    const nlohmann::json* reference = reference_of(metric, place.row);
    if (reference == nullptr) {
      // The dataset reader refuses such a row when the config says which fields metrics
      // read; this is for a row that reached scoring without that check.
      out.metric(metric.name()).error =
          fmt::format("case '{}' has no field \"{}\", the reference of metric '{}'", place.row.id,
                      metric.reference_field(), metric.name());
      continue;
    }
    const ScoreInput input{*extracted, completion.text, *reference,  place.row.vars,
                           completion, &provider,       place.row.id};
    if (!m_pipeline.judge_endpoint[m]) {
      score_locally(metric, input, place, out);
      continue;
    }
    const auto& judged = static_cast<const JudgedMetric&>(metric);
    try {
      JudgeRequest request{m, judged.judge_prompt(input)};
      out.metric(metric.name()).detail = {{"judge", judged.judge_id()},
                                          {"prompt", messages_json(request.prompt)},
                                          {"reply", nullptr},
                                          {"cached", false}};
      judge_requests.push_back(std::move(request));
    } catch (const UserError& e) {
      out.metric(metric.name()).error = e.what();
    }
  }
  return judge_requests;
}

void Scorer::score_locally(const Metric& metric, const ScoreInput& input, const ResultPlace& place,
                           CaseResult& out) const {
  auto result = metric.score(input);
  if (metric.external()) {
    if (result) {
      m_errors.scorers.add_success();
    } else {
      m_errors.scorers.add_failure(FirstError{place.index, place.row.id, place.variant.id,
                                              "metric " + metric.name(), "scorer", 0,
                                              result.error()});
    }
  }
  MetricOutcome& outcome = out.metric(metric.name());
  if (!result) {
    outcome.error = result.error();
    return;
  }
  outcome.score = result->value;
  outcome.pass = result->pass;
  outcome.detail = result->detail;
  outcome.corpus = std::move(result->corpus);
}

void Scorer::apply_verdict(std::size_t metric, const tl::expected<Completion, RequestError>& reply,
                           bool cached, const ResultPlace& place, CaseResult& out) const {
  const auto& judged = static_cast<const JudgedMetric&>(*m_pipeline.metrics[metric]);
  MetricOutcome& outcome = out.metric(judged.name());
  outcome.detail["reply"] = reply ? nlohmann::ordered_json(reply->text) : nullptr;
  outcome.detail["cached"] = cached;
  const std::string source = "judge " + judged.judge_id();
  if (!reply) {
    outcome.error = fmt::format("the judge's request failed: {}", reply.error().message);
    m_errors.judges.add_failure(first_error(place, reply.error(), source));
    return;
  }
  const tl::expected<Score, std::string> verdict = judged.verdict(reply->text);
  if (!verdict) {
    outcome.error = verdict.error();
    m_errors.judges.add_failure(FirstError{place.index, place.row.id, place.variant.id, source,
                                           "unreadable_verdict", 0, verdict.error()});
    return;
  }
  m_errors.judges.add_success();
  outcome.score = verdict->value;
  outcome.pass = verdict->pass;
}

}  // namespace promptbench
