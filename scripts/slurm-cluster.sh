#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private single-node Slurm cluster for trying and testing the Slurm example
# (examples/scale/slurm/) on one machine:
#
#   bash scripts/slurm-cluster.sh start DIR   # prints the `export SLURM_CONF=...` line
#   bash scripts/slurm-cluster.sh stop DIR
#
# `start` installs Debian's slurm-wlm and munge when missing (nothing, not even apt-get
# update, when present), then runs munged, slurmctld and slurmd as root with every file
# they write inside DIR (munge key, socket, pid, log and seed; slurm.conf, state, spool,
# logs), listening on 127.0.0.1 only, on ports that were free, so several clusters and a
# system-wide Slurm can coexist. It returns once the node is idle (at most ~30 s) and
# records the daemons' PIDs in DIR/pids. `stop` sends SIGTERM to exactly those PIDs, and
# SIGKILL to any still alive after 10 s; it touches no other process.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
[ -n "$2" ] || usage

log() { echo "slurm-cluster: $*" >&2; }

# --- stop ------------------------------------------------------------------------------

# The process at PID is one of ours only if it still runs the program we started; a PID
# that was reused by something else after our daemon died must not be signalled.
ours() {
  local pid=$1 name=$2 comm
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [ "$comm" = "$name" ]
}

stop_cluster() {
  local dir=$1 pids_file=$1/pids
  if [ ! -f "$pids_file" ]; then
    log "no cluster recorded in $dir (no $pids_file)"
    return 0
  fi
  local name pid alive=() deadline
  # Stop the Slurm daemons before munged: they talk to munge while shutting down.
  for name in slurmd slurmctld munged; do
    pid=$(awk -v n="$name" '$1 == n {print $2}' "$pids_file")
    [ -n "$pid" ] || continue
    if ours "$pid" "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      alive+=("$name:$pid")
    fi
  done
  deadline=$((SECONDS + 10))
  local entry still
  while :; do
    still=()
    for entry in "${alive[@]+"${alive[@]}"}"; do
      ours "${entry#*:}" "${entry%%:*}" && still+=("$entry")
    done
    [ ${#still[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${still[@]}"; do
        log "${entry%%:*} (pid ${entry#*:}) ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "${entry#*:}" 2>/dev/null || true
      done
      break
    fi
    sleep 0.1
  done
  rm -f "$pids_file"
}

if [ "$action" = stop ]; then
  stop_cluster "$2"
  exit 0
fi
[ "$action" = start ] || usage

# --- start -----------------------------------------------------------------------------

mkdir -p "$2"
dir=$(cd "$2" && pwd -P)

if [ -f "$dir/pids" ]; then
  while read -r name pid; do
    if ours "$pid" "$name"; then
      log "a cluster already runs in $dir ($name pid $pid); stop it first"
      exit 1
    fi
  done <"$dir/pids"
  rm -f "$dir/pids"
fi

# Slurm's daemons run as root here (SlurmUser=root): a private cluster needs no slurm user,
# and slurmd must be root to start jobs as the submitting user.
if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (slurmd starts jobs as their user)"
  exit 1
fi

# Idempotent: apt-get only when a package is missing.
bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" slurm-wlm munge

# A Unix socket path is limited to 107 bytes; fail with a clear message instead of
# munged's.
sock_dir=$dir/munge-socket
if [ ${#sock_dir} -gt 80 ]; then
  log "DIR's path is too long for munge's Unix socket (keep it under ~80 bytes): $dir"
  exit 1
fi

# A TCP port is free if no socket (listening or not, IPv4 or IPv6) uses it as its local
# port; /proc/net needs no extra tool. Random ports above the usual services and below
# Linux's ephemeral range make a collision with another cluster unlikely, and the check
# rules out the ones in use now.
used_ports() {
  local _sl local_addr _rest
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    while read -r _sl local_addr _rest; do
      [ "$_sl" = sl ] && continue
      echo $((16#${local_addr##*:}))
    done | sort -un
}
pick_port() {
  local used port _
  used=$(used_ports)
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! grep -qx "$port" <<<"$used" && [[ " ${taken[*]-} " != *" $port "* ]]; then
      taken+=("$port")
      echo "$port"
      return 0
    fi
  done
  log "found no free TCP port"
  exit 1
}
taken=()
ctld_port=$(pick_port)
taken+=("$ctld_port")
slurmd_port=$(pick_port)

# munged also wants every directory above its socket searchable by all (clients of any
# user connect to it): DIR itself (mktemp -d makes it 0700) and its parents.
chmod 0755 "$dir"
d=$(dirname "$dir")
while [ "$d" != / ]; do
  if [ "$(( 8#$(stat -c %a "$d") & 1 ))" -eq 0 ]; then
    log "munged refuses a socket below $d: it is not searchable by all (chmod o+x $d)"
    exit 1
  fi
  d=$(dirname "$d")
done
mkdir -p "$dir/munge" "$sock_dir" "$dir/state" "$dir/spool" "$dir/log"
# munged refuses a key directory others can read and a socket directory others cannot.
chmod 0700 "$dir/munge"
chmod 0755 "$sock_dir"
if [ ! -s "$dir/munge/munge.key" ]; then
  mungekey -c -k "$dir/munge/munge.key"
fi
chmod 0600 "$dir/munge/munge.key"
# A cold start each time (slurmctld -c): no job or node state from an earlier run.
rm -rf "${dir:?}/state/"* "${dir:?}/spool/"*

socket=$sock_dir/munge.socket.2
cpus=$(nproc)
cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-cluster.sh: a private single-node cluster in $dir.
ClusterName=promptbench
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# The private munged's socket, not the system one in /run/munge.
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups: works in containers and without systemd.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# slurmd reports the node as configured here (no memory or socket layout mismatch drains it).
SlurmdParameters=config_overrides
# Start batch jobs as soon as they are submitted (the default waits 3 s between waves).
SchedulerParameters=batch_sched_delay=0
# A failed array task cancels the afterok merge job instead of leaving it pending forever.
DependencyParameters=kill_invalid_depend
MailProg=/bin/true
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf

# Daemons run in the foreground (-F / -D) in the background of this shell so that $! is
# their PID; their output goes to files and stdin is /dev/null so that no caller's pipe
# (ctest, a CI log) stays open after this script returns. setsid keeps a Ctrl-C in the
# caller's terminal from reaching them: they are stopped by `stop`, by PID.
start_daemon() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
  echo "$name $!" >>"$dir/pids"
}

fail() {
  log "$1"
  local f
  for f in "$dir"/log/*; do
    [ -s "$f" ] || continue
    echo "--- $f (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
  stop_cluster "$dir"
  exit 1
}

: >"$dir/pids"
start_daemon munged munged --foreground --key-file="$dir/munge/munge.key" \
  --socket="$socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 1 100); do
  [ -S "$socket" ] && break
  sleep 0.1
done
[ -S "$socket" ] || fail "munged did not create $socket within 10 s"

start_daemon slurmctld slurmctld -D -c
start_daemon slurmd slurmd -D -N localhost

# Ready when the node is idle: slurmctld answers and slurmd has registered.
state=""
for _ in $(seq 1 300); do
  state=$(sinfo -h -N -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  for name in munged slurmctld slurmd; do
    pid=$(awk -v n="$name" '$1 == n {print $2}' "$dir/pids")
    ours "$pid" "$name" || fail "$name exited while starting"
  done
  sleep 0.1
done
[ "$state" = idle ] || fail "the node is not idle after 30 s (state: '${state:-no answer}')"

log "cluster up in $dir (slurmctld 127.0.0.1:$ctld_port, slurmd 127.0.0.1:$slurmd_port)"
log "its clients (sbatch, squeue, scontrol, sinfo) need:"
echo "export SLURM_CONF=$dir/slurm.conf"
