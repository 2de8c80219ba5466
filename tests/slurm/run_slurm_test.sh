#!/usr/bin/env bash
# Runs one of slurm/*.sbatch on a real one-node Slurm cluster started here (cluster.sh), in CPU
# mode, with `sbatch --wait`, and checks the job's output and result files. The cluster and
# everything it wrote are removed on exit, on failure and on interrupt.
#
#   run_slurm_test.sh SCRIPT COMMSIM_BIN     SCRIPT: single_node, multi_node or sweep
#
# The scripts are submitted as they are; only their documented variables and resource options
# are set: --gpus-per-node=0 (the test node has no GPUs), --nodes=1 (it is one node),
# COMMSIM_MODE=cpu and small sizes. Exit: 0 passed, 1 failed, 77 cannot run here (reason printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
script=${1:?usage: run_slurm_test.sh SCRIPT COMMSIM_BIN}
bin=$(cd "$(dirname "${2:?usage: run_slurm_test.sh SCRIPT COMMSIM_BIN}")" && pwd)/$(basename "$2")
sbatch_file="$root/slurm/$script.sbatch"
[ -f "$sbatch_file" ] || { echo "run_slurm_test: no $sbatch_file" >&2; exit 2; }
[ -x "$bin" ] || { echo "run_slurm_test: commsim binary '$bin' is not executable" >&2; exit 2; }

if ! reason=$("$here/cluster.sh" check); then echo "SKIP: $reason"; exit 77; fi
command -v mpirun >/dev/null || { echo "SKIP: mpirun is not installed"; exit 77; }

bench_flag=--bench
size_vars="COMMSIM_MIN_SIZE=64K,COMMSIM_MAX_SIZE=1M,COMMSIM_CALIBRATE_SIZE=1M"
# The subcommands are listed by --help (an unknown one would only print the general help).
if ! "$bin" --help 2>/dev/null | grep -qE '^[[:space:]]+bench[[:space:]]'; then
  if [ "$script" = sweep ]; then
    echo "SKIP: this commsim has no bench command, and the sweep is made of it"; exit 77
  fi
  echo "note: this commsim has no bench command; the job runs its checked table step only"
  bench_flag=""
  size_vars="COMMSIM_MAX_SIZE="
fi

# The plots need matplotlib: the first python3 that has it (Debian's python3-matplotlib is for
# /usr/bin/python3, which a python3 earlier on the PATH may hide).
plot_python=python3 plots=""
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import matplotlib' 2>/dev/null; then plot_python=$py plots=--plots; break; fi
done

work=$(mktemp -d /tmp/commsim-slurm-XXXXXX)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  "$here/cluster.sh" down "$work/cluster" || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "run_slurm_test: interrupted" >&2; exit 130' INT TERM HUP

"$here/cluster.sh" up "$work/cluster"
export SLURM_CONF="$work/cluster/slurm.conf"
results="$work/results"
out="$work/job.out"

# 4 ranks on the 2-CPU node: 3 workers and the parameter server.
set +e
(cd "$root" && timeout 150 sbatch --wait --quiet --nodes=1 --gpus-per-node=0 --ntasks-per-node=2 \
   --cpus-per-task=1 --time=5 --output="$out" \
   --export="ALL,COMMSIM_MODE=cpu,COMMSIM_ROOT=$root,COMMSIM_BIN=$bin,COMMSIM_RANKS_PER_NODE=4,COMMSIM_PARAMS=1M,COMMSIM_RESULTS=$results,COMMSIM_PYTHON=$plot_python,$size_vars" \
   "$sbatch_file")
rc=$?
set -e
echo "----- job output ($sbatch_file) -----"
cat "$out" 2>/dev/null || echo "(no output file)"
echo "-----"
[ "$rc" -eq 0 ] || { echo "run_slurm_test: FAIL: sbatch --wait exited $rc"; exit 1; }
grep -q "commsim-slurm: done" "$out" || { echo "run_slurm_test: FAIL: the job did not finish"; exit 1; }

case "$script" in
  single_node) COMMSIM_BIN="$bin" python3 "$here/check_results.py" "$results" . $bench_flag --topology ;;
  multi_node) COMMSIM_BIN="$bin" python3 "$here/check_results.py" "$results" mpi $bench_flag --topology ;;
  sweep)
    [ -n "$plots" ] || echo "note: no python3 with matplotlib here, so the plots are not checked"
    COMMSIM_BIN="$bin" python3 "$here/check_results.py" "$results" nodes-1 $bench_flag $plots ;;
  *) echo "run_slurm_test: unknown script '$script'" >&2; exit 2 ;;
esac
echo "run_slurm_test: PASS $script"
