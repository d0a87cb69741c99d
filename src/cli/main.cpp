// SPDX-License-Identifier: Apache-2.0
// The promptbench executable: everything lives in promptbench_core.
#include "promptbench/cli.hpp"

int main(int argc, char** argv) {
  return promptbench::run_cli(argc, argv);
}
