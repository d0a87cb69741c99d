#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs promptbench's build dependencies from Debian packages. Idempotent: does
# nothing (not even `apt-get update`) when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libfmt-dev
  libgtest-dev libgmock-dev libyaml-cpp-dev libkainjow-mustache-dev libre2-dev
  libsqlite3-dev libvalijson-dev libcpp-httplib-dev libutf8proc-dev libcsv-dev
  libxxhash-dev libbenchmark-dev libexpected-dev libssl-dev zlib1g-dev
  libsimdjson-dev  # reads the common shape of a chat answer (src/provider/plain_answer.cpp)
  wrk  # the benchmarks' raw HTTP client (docs/BENCHMARKS.md "Against the wire")
)

exec bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
