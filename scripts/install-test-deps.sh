#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the test suite needs beyond the build: Chromium, in which the HTML report is
# checked headless, and DejaVu, named so that its screenshots use the same font everywhere
# (fontconfig pulls in the first of several fonts it accepts, and without --install-recommends
# Chromium's own suggestion is skipped). Idempotent: does nothing (not even `apt-get update`)
# when every package is already installed.
set -euo pipefail

packages=(chromium fonts-dejavu-core)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-test-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
