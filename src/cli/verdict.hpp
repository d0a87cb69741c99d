// SPDX-License-Identifier: Apache-2.0
// What `eval` and `merge` say on stderr about a run's outcome, in the same words.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "promptbench/report.hpp"

namespace promptbench::cli {

/// "promptbench: error: MESSAGE" on stderr, secrets redacted.
void print_error(const std::string& message);

/// A "promptbench: gate failed (K of N): ..." line on stderr per failed gate; returns K.
std::size_t print_gate_failures(const std::vector<GateResult>& gates);

}  // namespace promptbench::cli
