// SPDX-License-Identifier: Apache-2.0
// Shards (README "Scale out"): `eval --shard I/N` runs the cases whose id hashes to I, so N
// machines split a run and `merge` puts it back together.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace promptbench {

/// Shard `index` of `count`; the whole run is {0, 1}.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;

  [[nodiscard]] bool whole() const { return count == 1; }
  /// Whether the case with this id belongs here.
  [[nodiscard]] bool holds(std::string_view case_id) const;
};

/// The shard of a case: XXH64 of its id (UTF-8, seed 0) modulo `count`. It depends on the id
/// alone, so rows added to a dataset never move the others, and every variant and repeat of a
/// case lands together.
[[nodiscard]] std::size_t shard_of(std::string_view case_id, std::size_t count);

/// Reads an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

/// `--shard` as written: "I/N" (0-based), "auto" (a Slurm array: I = SLURM_ARRAY_TASK_ID -
/// SLURM_ARRAY_TASK_MIN, N = SLURM_ARRAY_TASK_COUNT) or "auto/N" (I from JOB_COMPLETION_INDEX,
/// a Kubernetes Indexed Job, else from Slurm as above). Throws UserError("--shard ...") naming
/// what is wrong: the syntax, an index outside 0..N-1, a variable unset or not a number.
[[nodiscard]] Shard parse_shard(std::string_view text, const EnvLookup& env);

/// parse_shard with the process's environment.
[[nodiscard]] Shard parse_shard(std::string_view text);

}  // namespace promptbench
