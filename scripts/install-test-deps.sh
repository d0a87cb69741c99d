#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the test suite needs beyond the build: Chromium, in which the HTML report is
# checked headless, and DejaVu, named so that its screenshots use the same font everywhere
# (fontconfig pulls in the first of several fonts it accepts, and without --install-recommends
# Chromium's own suggestion is skipped). Idempotent: does nothing (not even `apt-get update`)
# when every package is already installed. The sqlite3 shell holds a cache's write lock from
# another process in the locked-cache fault test; bash-completion and fish run the completions.
set -euo pipefail

packages=(chromium fonts-dejavu-core sqlite3 bash-completion fish)

exec bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
