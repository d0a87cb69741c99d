// SPDX-License-Identifier: Apache-2.0
// Which shard a case belongs to, and `--shard` read from the flag or the scheduler.
#include "promptbench/shard.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <xxhash.h>

#include "promptbench/error.hpp"

namespace promptbench {

namespace {

constexpr const char* kSyntax =
    "expected I/N (0-based, e.g. 2/8), 'auto' (a Slurm array) or 'auto/N' (a Kubernetes Indexed "
    "Job, or a Slurm array, of N)";

[[noreturn]] void fail(std::string_view text, const std::string& message) {
  throw UserError(fmt::format("--shard {}: {}", text, message));
}

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::size_t variable(std::string_view text, const EnvLookup& env, const char* name) {
  const std::optional<std::string> value = env(name);
  if (!value) {
    fail(text, fmt::format("{} is not set (not in a job of that scheduler?)", name));
  }
  const auto number = whole_number(*value);
  if (!number) {
    fail(text, fmt::format("{}={} is not a whole number", name, *value));
  }
  return *number;
}

/// The task's 0-based place in a Slurm array (arrays may start anywhere: --array=5-8).
std::size_t slurm_index(std::string_view text, const EnvLookup& env) {
  const std::size_t id = variable(text, env, "SLURM_ARRAY_TASK_ID");
  const std::size_t min = variable(text, env, "SLURM_ARRAY_TASK_MIN");
  if (id < min) {
    fail(text, fmt::format("SLURM_ARRAY_TASK_ID={} is below SLURM_ARRAY_TASK_MIN={}", id, min));
  }
  return id - min;
}

Shard automatic(std::string_view text, std::optional<std::size_t> count, const EnvLookup& env) {
  if (!count) {
    return {slurm_index(text, env), variable(text, env, "SLURM_ARRAY_TASK_COUNT")};
  }
  if (env("JOB_COMPLETION_INDEX")) {
    return {variable(text, env, "JOB_COMPLETION_INDEX"), *count};
  }
  if (env("SLURM_ARRAY_TASK_ID")) {
    return {slurm_index(text, env), *count};
  }
  fail(text, "neither JOB_COMPLETION_INDEX (Kubernetes) nor SLURM_ARRAY_TASK_ID (Slurm) is set");
}

}  // namespace

bool Shard::holds(std::string_view case_id) const {
  return whole() || shard_of(case_id, count) == index;
}

std::size_t shard_of(std::string_view case_id, std::size_t count) {
  return static_cast<std::size_t>(XXH64(case_id.data(), case_id.size(), 0) % count);
}

Shard parse_shard(std::string_view text, const EnvLookup& env) {
  const std::size_t slash = text.find('/');
  const std::string_view first = text.substr(0, slash);
  std::optional<std::size_t> count;
  if (slash != std::string_view::npos) {
    count = whole_number(text.substr(slash + 1));
    if (!count || *count == 0) {
      fail(text, kSyntax);
    }
  }
  Shard shard;
  if (first == "auto") {
    shard = automatic(text, count, env);
  } else {
    const auto index = whole_number(first);
    if (!index || !count) {
      fail(text, kSyntax);
    }
    shard = {*index, *count};
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    fail(text, fmt::format("shard {} of {}: the index must be 0 to {}", shard.index, shard.count,
                           shard.count == 0 ? 0 : shard.count - 1));
  }
  return shard;
}

Shard parse_shard(std::string_view text) {
  return parse_shard(text, [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
  });
}

}  // namespace promptbench
