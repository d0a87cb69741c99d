// SPDX-License-Identifier: Apache-2.0
// The tally of a run's failures and the lines that tell a person (or a CI log) about them.
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "promptbench/report.hpp"

namespace promptbench {

namespace {

std::string error_text(const FirstError& error) {
  return describe_error(error.kind, error.http_status, error.message);
}

/// "case 0, variant p/s" (and ", judge grader" for a judge's failure).
std::string where_text(const FirstError& error) {
  std::string text = fmt::format("case {}, variant {}", error.case_id, error.variant);
  if (!error.source.empty()) {
    text += ", " + error.source;
  }
  return text;
}

std::string describe_tally(const ErrorTally& tally, const char* work) {
  const FirstError& first = *tally.first;
  // One kind of failure: its first message says it all. Several: count them by kind and
  // quote the first one in full.
  if (tally.by_kind.size() == 1) {
    return fmt::format("{} of {} {} failed ({}); first: {}", tally.failed, tally.total, work,
                       error_text(first), where_text(first));
  }
  std::string kinds;
  for (const auto& [kind, count] : tally.by_kind) {
    kinds += fmt::format("{}{}: {}", kinds.empty() ? "" : ", ", kind, count);
  }
  return fmt::format("{} of {} {} failed ({}); first: {}: {}", tally.failed, tally.total, work,
                     kinds, where_text(first), error_text(first));
}

}  // namespace

std::string describe_error(std::string_view kind, int http_status, std::string_view message) {
  if (http_status == 0) {
    return message.empty() ? std::string(kind) : fmt::format("{}: {}", kind, message);
  }
  // Providers say "HTTP 401: <the server's message>"; the status is already in the kind.
  const std::string prefix = fmt::format("HTTP {}: ", http_status);
  if (message.substr(0, prefix.size()) == prefix) {
    message.remove_prefix(prefix.size());
  }
  return message.empty() ? fmt::format("{} {}", kind, http_status)
                         : fmt::format("{} {}: {}", kind, http_status, message);
}

void ErrorTally::add_failure(FirstError error) {
  ++failed;
  ++total;
  ++by_kind[error.kind];
  // The earliest case in dataset order; within a case, the answers' arrival order must not
  // decide (a re-run or a merge of shards would name another failure), so the variant id,
  // then the source and the message do.
  const auto key = [](const FirstError& e) {
    return std::tie(e.case_index, e.variant, e.source, e.kind, e.message);
  };
  if (!first || key(error) < key(*first)) {
    first = std::move(error);
  }
}

std::vector<std::string> describe_errors(const RunErrors& errors) {
  std::vector<std::string> lines;
  if (errors.requests.failed > 0) {
    lines.push_back(describe_tally(errors.requests, "requests"));
  }
  if (errors.judges.failed > 0) {
    lines.push_back(describe_tally(errors.judges, "judge requests"));
  }
  if (errors.scorers.failed > 0) {
    lines.push_back(describe_tally(errors.scorers, "scorer calls"));
  }
  return lines;
}

}  // namespace promptbench
