// SPDX-License-Identifier: Apache-2.0
// Retry decisions: which failures are transient, how long the server asked us to wait, and
// exponential backoff with full jitter when it did not say.
#include <algorithm>
#include <cmath>
#include <ctime>

#include "engine/engine.hpp"

namespace promptbench {

RetryAdvice advice_for(const TransferResult& result, const AdviseFn& advise) {
  if (!result) {
    const ErrorKind kind = result.error().kind;
    return kind == ErrorKind::network || kind == ErrorKind::timeout ? RetryAdvice::retry
                                                                    : RetryAdvice::final;
  }
  return advise ? advise(*result) : advice_for_status(result->status);
}

namespace {

std::optional<double> parse_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value >= 0 && std::isfinite(value)) {
      return value;
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

/// RFC 9110 IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  std::tm parts{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  const std::time_t seconds = timegm(&parts);
  if (seconds == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(seconds);
}

}  // namespace

std::optional<std::chrono::milliseconds> server_retry_delay(
    const HttpResponse& response, std::chrono::system_clock::time_point now) {
  if (const std::string* ms = response.header("retry-after-ms")) {
    if (auto value = parse_number(*ms)) {
      return std::chrono::milliseconds(static_cast<long long>(std::ceil(*value)));
    }
  }
  const std::string* after = response.header("retry-after");
  if (after == nullptr) {
    return std::nullopt;
  }
  if (auto seconds = parse_number(*after)) {
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(*seconds * 1000)));
  }
  if (auto date = parse_http_date(*after)) {
    const auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
    return std::max(delta, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry,
                                        std::mt19937_64& rng) {
  const int doublings = std::clamp(retry - 1, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(policy.max_delay.count()),
               static_cast<double>(policy.base_delay.count()) * std::pow(2.0, doublings));
  std::uniform_real_distribution<double> uniform(0.0, ceiling);
  return std::chrono::milliseconds(static_cast<long long>(uniform(rng)));
}

}  // namespace promptbench
