#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The quickstart: installs the dependencies, builds, starts the bundled local endpoint (the
# stub OpenAI-compatible server, on a free port), runs `promptbench eval` on the example in
# prompts/ + datasets/, prints the summary table, writes promptbench-report.json and
# promptbench-report.html, and stops the endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target promptbench promptbench-stub

workdir=$(mktemp -d)
build/default/tests/promptbench-stub --mode sentiment --port 0 --port-file "$workdir/port" \
  >"$workdir/stub.log" 2>&1 &
stub_pid=$!
cleanup() {
  kill "$stub_pid" 2>/dev/null || true
  wait "$stub_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  [ -s "$workdir/port" ] && break
  sleep 0.1
done
if [ ! -s "$workdir/port" ]; then
  echo "quickstart: the local endpoint did not start:" >&2
  cat "$workdir/stub.log" >&2
  exit 1
fi
port=$(cat "$workdir/port")
echo "quickstart: local endpoint on http://127.0.0.1:$port/v1"

PROMPTBENCH_BASE_URL="http://127.0.0.1:$port/v1" \
  build/default/promptbench eval promptbench.yaml -o promptbench-report.json \
  --html promptbench-report.html "$@"
