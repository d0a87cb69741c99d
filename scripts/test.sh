#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds everything with warnings as errors and runs the whole
# test suite (unit + integration). `scripts/test.sh asan` does the same in the ASan/UBSan
# build. CI runs exactly `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${1:-default}
bash scripts/install-deps.sh
# Chromium (and a font) for the tests that check the HTML report in a real browser.
bash scripts/install-test-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
