#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the fuzz preset needs beyond the build (docs/FUZZING.md): Debian's clang 14
# and its compiler runtime, which holds libFuzzer (libclang_rt.fuzzer*) and the ASan/UBSan
# runtimes. Idempotent: does nothing (not even `apt-get update`) when every package is
# already installed.
set -euo pipefail

packages=(clang-14 libclang-rt-14-dev)

exec bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
