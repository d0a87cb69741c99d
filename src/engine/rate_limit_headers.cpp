// SPDX-License-Identifier: Apache-2.0
// Rate-limit headers: what the endpoint says is left of its allowance, so the engine can
// hold requests back before the endpoint answers them with 429s.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "engine/engine.hpp"

namespace promptbench {

namespace {

std::optional<double> read_count(const HttpResponse& response, const std::string& name) {
  const std::string* text = response.header(name);
  if (text == nullptr) {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return std::max(0.0, value);
}

/// RFC 3339 in UTC or with an offset: "2026-12-02T10:00:01Z", "...01.250Z", "...01+01:00".
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm parts{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (rest == nullptr) {
    return std::nullopt;
  }
  double fraction = 0;
  if (*rest == '.') {
    const char* digits = rest;
    ++rest;
    while (*rest >= '0' && *rest <= '9') {
      ++rest;
    }
    fraction = std::strtod(std::string(digits, rest).c_str(), nullptr);
  }
  long offset_seconds = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if ((*rest == '+' || *rest == '-') && std::strlen(rest) == 6 && rest[3] == ':') {
    const int sign = *rest == '-' ? -1 : 1;
    const int hours = std::atoi(std::string(rest + 1, 2).c_str());
    const int minutes = std::atoi(std::string(rest + 4, 2).c_str());
    offset_seconds = sign * (hours * 3600L + minutes * 60L);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') {
    return std::nullopt;
  }
  const std::time_t seconds = timegm(&parts);
  if (seconds == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(seconds - offset_seconds) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::duration<double>(fraction));
}

std::optional<std::chrono::milliseconds> read_reset_time(
    const HttpResponse& response, const std::string& name,
    std::chrono::system_clock::time_point now) {
  const std::string* text = response.header(name);
  if (text == nullptr) {
    return std::nullopt;
  }
  const auto at = parse_rfc3339(*text);
  if (!at) {
    return std::nullopt;
  }
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(*at - now),
                  std::chrono::milliseconds(0));
}

std::optional<std::chrono::milliseconds> read_reset_duration(const HttpResponse& response,
                                                             const std::string& name) {
  const std::string* text = response.header(name);
  return text == nullptr ? std::nullopt : parse_reset_duration(*text);
}

/// Of two allowances, the scarcer one: fewer left, and its reset.
void keep_scarcer(std::optional<double>& remaining, std::optional<std::chrono::milliseconds>& reset,
                  std::optional<double> other_remaining,
                  std::optional<std::chrono::milliseconds> other_reset) {
  if (other_remaining && (!remaining || *other_remaining < *remaining)) {
    remaining = other_remaining;
    reset = other_reset;
  }
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_reset_duration(const std::string& text) {
  // Go's time.Duration format, which OpenAI uses: a sequence of <number><unit>.
  double total_ms = 0;
  std::size_t at = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  while (at < text.size()) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), value);
    if (error != std::errc() || value < 0) {
      return std::nullopt;
    }
    at = static_cast<std::size_t>(end - text.data());
    std::size_t unit_end = at;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    const std::string unit = text.substr(at, unit_end - at);
    at = unit_end;
    if (unit == "ms") {
      total_ms += value;
    } else if (unit == "s") {
      total_ms += value * 1000;
    } else if (unit == "m") {
      total_ms += value * 60'000;
    } else if (unit == "h") {
      total_ms += value * 3'600'000;
    } else {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(total_ms)));
}

RateLimitHint read_rate_limit_headers(const HttpResponse& response,
                                      std::chrono::system_clock::time_point now) {
  RateLimitHint hint;
  hint.requests_remaining = read_count(response, "x-ratelimit-remaining-requests");
  hint.requests_reset = read_reset_duration(response, "x-ratelimit-reset-requests");
  hint.tokens_remaining = read_count(response, "x-ratelimit-remaining-tokens");
  hint.tokens_reset = read_reset_duration(response, "x-ratelimit-reset-tokens");
  keep_scarcer(hint.requests_remaining, hint.requests_reset,
               read_count(response, "anthropic-ratelimit-requests-remaining"),
               read_reset_time(response, "anthropic-ratelimit-requests-reset", now));
  for (const char* kind : {"tokens", "input-tokens", "output-tokens"}) {
    const std::string prefix = std::string("anthropic-ratelimit-") + kind;
    keep_scarcer(hint.tokens_remaining, hint.tokens_reset,
                 read_count(response, prefix + "-remaining"),
                 read_reset_time(response, prefix + "-reset", now));
  }
  return hint;
}

}  // namespace promptbench
