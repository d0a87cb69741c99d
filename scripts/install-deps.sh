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
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
