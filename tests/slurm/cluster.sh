#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the tests: MUNGE, slurmctld and slurmd, with every
# file (key, socket, config, state, spool, logs) under one directory, on ports of their own, so
# nothing of the machine's own configuration is read or changed. CPU only, no cgroups.
#
#   cluster.sh check          exit 0 if a cluster can be started here, else 77 and the reason
#   cluster.sh up DIR         start it; clients then need SLURM_CONF=DIR/slurm.conf
#   cluster.sh down DIR       stop every daemon started from DIR and remove DIR (safe to repeat)
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 2; }

cmd_check() {
  [ "$(id -u)" -eq 0 ] || { echo "not root: the test cluster runs its daemons as root"; exit 77; }
  local missing=()
  for c in munged mungekey slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Slurm/MUNGE not installed (missing ${missing[*]}); scripts/bootstrap.sh --extra slurm installs them"
    exit 77
  fi
  echo ok
}

# A free TCP port on the loopback, chosen by the kernel.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd_up() {
  local dir=$1
  mkdir -p "$dir"/{munge,state,spool,log}
  dir=$(cd "$dir" && pwd)
  local node cpus mem
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)

  # MUNGE: a fresh key and a private socket.
  mungekey --create --keyfile="$dir/munge/munge.key" --force
  chmod 0400 "$dir/munge/munge.key"
  chmod 0700 "$dir/munge"
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
         --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
         --seed-file="$dir/munge/munge.seed" --force

  cat > "$dir/slurm.conf" <<EOF
ClusterName=commsimtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=30 State=UP OverSubscribe=NO
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF" -i
  slurmd -f "$SLURM_CONF"

  # Bounded wait until the node takes jobs.
  local state=""
  for ((t = 0; t < 60; t++)); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
    case "$state" in idle|mix|alloc) echo "cluster up: node $node ($cpus CPUs), SLURM_CONF=$SLURM_CONF"; return 0 ;; esac
    sleep 0.5
  done
  echo "cluster.sh: the node did not become idle (state '$state'); logs:" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  exit 1
}

stop_pidfile() {
  local f=$1 pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || return 0
  for ((t = 0; t < 50; t++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

cmd_down() {
  local dir=$1
  [ -d "$dir" ] || return 0
  [ -f "$dir/slurm.conf" ] || [ -d "$dir/munge" ] || die "'$dir' is not a test cluster directory"
  if [ -f "$dir/slurm.conf" ] && command -v scancel >/dev/null; then
    SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --full --quiet -u root 2>/dev/null || true
  fi
  # slurmstepd processes of jobs still running: end them before their daemons go.
  local p
  for p in $(pgrep -f "slurmstepd" 2>/dev/null || true); do
    grep -qz "$dir" "/proc/$p/environ" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  done
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  rm -rf "${dir:?}"
}

case "${1:-}" in
  check) cmd_check ;;
  up) [ $# -eq 2 ] || die "usage: up DIR"; cmd_up "$2" ;;
  down) [ $# -eq 2 ] || die "usage: down DIR"; cmd_down "$2" ;;
  *) die "unknown command '${1:-}' (check, up, down)" ;;
esac
