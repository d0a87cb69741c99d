#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `bash scripts/package.sh`: builds the Debian package from the release preset (Release, no
# tests, no benchmarks; build/release) with `cpack -G DEB`, and prints the .deb's path as
# its last line. The package holds what `cmake --install` installs (cmake/install.cmake),
# under /usr, stripped; its Depends come from dpkg-shlibdeps (cmake/package.cmake).
# scripts/test-package.sh checks the result.
#
# Set PROMPTBENCH_JOBS to limit the parallel compile jobs (the default is ninja's).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# dpkg-shlibdeps (dpkg-dev), and file(1), with which CPack's DEB generator finds the ELF
# files to give dpkg-shlibdeps; without it CPack silently drops the Depends.
bash scripts/apt-install.sh dpkg-dev file

# The dates in the man page and the changelog: the last commit's, so that two builds of
# one commit give the same package.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
  export SOURCE_DATE_EPOCH
fi

jobs=()
if [ -n "${PROMPTBENCH_JOBS:-}" ]; then
  jobs=(-j "$PROMPTBENCH_JOBS")
fi
cmake --preset release >/dev/null
# Every target: the binary and what is installed with it (the man page, the changelog).
cmake --build --preset release "${jobs[@]}"

out=build/release/package
rm -f "$out"/*.deb
(cd build/release && cpack -G DEB -B "$PWD/package" >/dev/null)

debs=("$out"/*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  echo "package: expected one .deb in $out, found: ${debs[*]}" >&2
  exit 1
fi
if [ -z "$(dpkg-deb --field "${debs[0]}" Depends)" ]; then
  echo "package: ${debs[0]} has no Depends: dpkg-shlibdeps did not run" >&2
  exit 1
fi
echo "${debs[0]}"
