// SPDX-License-Identifier: Apache-2.0
#include "cli/verdict.hpp"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "promptbench/redact.hpp"

namespace promptbench::cli {

void print_error(const std::string& message) {
  std::cerr << redact("promptbench: error: " + message) << "\n";
}

std::size_t print_gate_failures(const std::vector<GateResult>& gates) {
  const auto failed = static_cast<std::size_t>(
      std::count_if(gates.begin(), gates.end(), [](const GateResult& g) { return !g.passed; }));
  for (const auto& gate : gates) {
    if (!gate.passed) {
      std::cerr << redact(fmt::format("promptbench: gate failed ({} of {}): {}\n", failed,
                                      gates.size(), describe_gate_failure(gate)));
    }
  }
  return failed;
}

}  // namespace promptbench::cli
