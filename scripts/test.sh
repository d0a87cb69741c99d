#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds with warnings as errors and runs the whole test suite:
# unit + integration tests in the default build; the Release .deb, checked from an extracted
# root and from `cmake --install` (scripts/test-package.sh); the same suite again in the
# AddressSanitizer + UndefinedBehaviorSanitizer build; then every libFuzzer target for a
# short bounded run on its corpus (scripts/fuzz.sh). CI runs exactly `bash scripts/test.sh`.
#
#   bash scripts/test.sh             # all of it (what CI runs)
#   bash scripts/test.sh default     # one preset's build and tests: default, asan or debug
#   bash scripts/test.sh package     # the .deb and the install (after the default build)
#   bash scripts/test.sh fuzz        # the fuzz smoke run only
#
# PROMPTBENCH_FUZZ_SECONDS sets each fuzz target's run (default 15 s).
set -euo pipefail
cd "$(dirname "$0")/.."

# Prints how long each stage took, so a slow CI run shows where the time went.
stage() {
  local name="$1" start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

build_and_test() {
  cmake --preset "$1"
  cmake --build --preset "$1"
  ctest --preset "$1"
}

# The quickstart in the package test runs against the stub of the default build.
package_check() {
  bash scripts/package.sh
  PROMPTBENCH_STUB_BIN="$PWD/build/default/tests/promptbench-stub" \
    bash scripts/test-package.sh --deb "$(ls build/release/package/promptbench_*.deb)"
}

fuzz_smoke() {
  bash scripts/fuzz.sh "${PROMPTBENCH_FUZZ_SECONDS:-15}"
}

what=${1:-all}
bash scripts/install-deps.sh
# Chromium (and a font) for the tests that check the HTML report in a real browser.
bash scripts/install-test-deps.sh

case "$what" in
  all)
    stage "default build and tests" build_and_test default
    stage "package" package_check
    stage "asan build and tests" build_and_test asan
    stage "fuzz smoke" fuzz_smoke
    ;;
  fuzz) stage "fuzz smoke" fuzz_smoke ;;
  package) stage "package" package_check ;;
  default | asan | debug) stage "$what build and tests" build_and_test "$what" ;;
  *)
    echo "usage: bash scripts/test.sh [all|default|asan|debug|package|fuzz]" >&2
    exit 2
    ;;
esac
