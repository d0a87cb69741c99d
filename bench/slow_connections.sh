#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Ten thousand slow connections at once (issue 16, README "Limits"): `promptbench eval -j N`
# against promptbench-stub answering every request after LATENCY ms, from a shell whose soft
# open-file limit is SOFT (1024 by default, the usual default), so that promptbench has to
# raise it. Prints promptbench's wall time, CPU, peak RSS, exit code and most open files
# (sampled), and the stub's count of requests handled at once. Usage:
#
#   bench/slow_connections.sh [BUILD_DIR] [N] [LATENCY_MS] [SOFT]
#   bench/slow_connections.sh build/bench 10000 5000 1024
#
# Needs a hard open-file limit of at least N + 64 for promptbench and N + 64 for the stub
# (see `ulimit -Hn`), and N stub threads (each a connection).
set -eu

build=${1:-build/default}
cases=${2:-10000}
latency=${3:-5000}
soft=${4:-1024}
build=$(cd "$build" && pwd)
promptbench=$build/promptbench
stub=$build/tests/promptbench-stub
[ -x "$promptbench" ] || { echo "no $promptbench" >&2; exit 2; }
[ -x "$stub" ] || { echo "no $stub" >&2; exit 2; }

work=$(mktemp -d)
stub_pid=
cleanup() {
  if [ -n "$stub_pid" ]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The stub needs a socket and a thread per connection: raise its own limit as far as allowed.
(ulimit -Sn "$(ulimit -Hn)"; exec "$stub" --latency-ms "$latency" --threads 64 \
  --max-threads $((cases + 100)) --backlog 65535 --no-compression \
  --port-file "$work/port") >"$work/stub.log" 2>&1 &
stub_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

i=0
while [ "$i" -lt "$cases" ]; do
  printf '{"id": "c%d", "text": "t%d", "label": "t%d"}\n' "$i" "$i" "$i"
  i=$((i + 1))
done >"$work/cases.jsonl"
cat >"$work/promptbench.yaml" <<EOF
providers:
  - {id: stub, base_url: "http://127.0.0.1:$port/v1", model: m, timeout: 120s}
prompts:
  - {id: a, template: "{{text}}"}
dataset: {path: cases.jsonl, reference: label, id: id}
metrics: [exact_match]
EOF

cd "$work"
set +e
(ulimit -Sn "$soft"; exec /usr/bin/time -f "%e %M %U %S" -o time.txt "$promptbench" \
  eval promptbench.yaml -q --no-cache -o report.json -j "$cases") 2>err.txt &
runner=$!
# promptbench's open files, sampled twice a second: its connections in flight at once.
max_fds=0
while kill -0 "$runner" 2>/dev/null; do
  child=$(pgrep -P "$runner" | head -n 1)
  if [ -n "$child" ]; then
    fds=$(ls "/proc/$child/fd" 2>/dev/null | wc -l)
    [ "$fds" -gt "$max_fds" ] && max_fds=$fds
  fi
  sleep 0.5
done
wait "$runner"
code=$?
set -e
read -r wall rss_kib user_s sys_s <time.txt
stats=$(curl -s "http://127.0.0.1:$port/stats")
in_flight=$(printf '%s' "$stats" | sed -n 's/.*"in_flight_max":\([0-9]*\).*/\1/p')
requests=$(printf '%s' "$stats" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
echo "cases=$cases latency_ms=$latency soft_nofile=$soft exit=$code wall_s=$wall" \
  "peak_rss_mib=$((rss_kib / 1024)) user_s=$user_s sys_s=$sys_s promptbench_max_open_files=$max_fds stub_in_flight_max=$in_flight stub_requests=$requests"
if [ -s err.txt ]; then
  echo "stderr:" && head -5 err.txt
fi
[ "$code" -eq 0 ]
