#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Submits the sharded evaluation from the current directory (where the config is): an
# array of SHARDS tasks running eval-array.sbatch, then merge.sbatch with
# --dependency=afterok on the whole array, and prints both job ids. Arguments are passed
# on to every task's `promptbench eval`.
#
#   SHARDS=8 PROMPTBENCH=/opt/promptbench/bin/promptbench bash submit.sh [--limit 100]
#
# Settings (environment): SHARDS (default 4); PARALLEL, at most that many tasks at once
# (default: as many as the cluster runs; it is sbatch's --array=0-N%PARALLEL); PROMPTBENCH, CONFIG, OUT, CACHE_DIR and
# REPORT as described in eval-array.sbatch and merge.sbatch; and sbatch's own SBATCH_*
# variables (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...). The jobs get this
# shell's environment (sbatch's default --export=ALL), API keys included; see README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-4}
out=${OUT:-parts}

parallel=${PARALLEL:-}
for v in "SHARDS=$shards" "PARALLEL=${parallel:-1}"; do
  if ! [[ ${v#*=} =~ ^[1-9][0-9]*$ ]]; then
    echo "submit: ${v%%=*} must be a positive integer, not '${v#*=}'" >&2
    exit 2
  fi
done
# Parts of an earlier run would be merged with this run's; the merge refuses parts of
# another config or shard count, but not those of the same config run with other
# options, so start from an empty directory.
if compgen -G "$out/shard-*.json" >/dev/null; then
  echo "submit: $out/ already holds part reports of an earlier run;" \
    "remove them (rm $out/shard-*.json) or set OUT to another directory" >&2
  exit 2
fi

# --parsable prints "JOBID" or "JOBID;CLUSTER".
# The throttle (%PARALLEL) does not change SLURM_ARRAY_TASK_COUNT: still SHARDS shards.
array=$(sbatch --parsable --array="0-$((shards - 1))${parallel:+%$parallel}" \
  "$here/eval-array.sbatch" "$@")
array_id=${array%%;*}
# afterok on an array job id waits for every task. --kill-on-invalid-dep: when a task
# fails, the merge job is cancelled instead of pending forever, whatever the cluster's
# DependencyParameters.
merge=$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
  "$here/merge.sbatch")
merge_id=${merge%%;*}

echo "submit: array job $array_id ($shards tasks of eval-array.sbatch), then merge job" \
  "$merge_id (merge.sbatch) once they all succeed" >&2
echo "ARRAY_JOB_ID=$array_id"
echo "MERGE_JOB_ID=$merge_id"
