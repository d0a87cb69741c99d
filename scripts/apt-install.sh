#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `bash scripts/apt-install.sh PACKAGE...`: installs the Debian packages that are missing, and
# does nothing at all (not even `apt-get update`) when every one is installed, so the scripts
# that build or test can call it every time. Uses sudo when not root.
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "apt-install: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
