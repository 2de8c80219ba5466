# Shared by the commsim sbatch scripts (sourced, not run). Reads the COMMSIM_* variables the
# scripts document, loads the environment, finds the binary and launches ranks in the allocation.
#
# Placement: one rank per GPU (GPU mode) or COMMSIM_RANKS_PER_NODE ranks per node (CPU mode),
# packed by slot, so consecutive ranks - ring neighbours - share a node and only one ring hop per
# node crosses the network. When the parameter server is in a run, the LAST rank is the dedicated
# server (SPEC, process layout): with COMMSIM_SERVER=last (default) it takes the last GPU and the
# run has n = ranks - 1 workers; with COMMSIM_SERVER=extra one more rank is started for it, so n
# equals the GPU count (GPU mode: only where that node has a spare GPU, as NCCL needs a device per
# rank; CPU mode: the server shares a node's cores).

commsim_die() { echo "commsim-slurm: $*" >&2; exit 2; }

commsim_init() {
  COMMSIM_MODE=${COMMSIM_MODE:-gpu}
  COMMSIM_ROOT=${COMMSIM_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
  COMMSIM_BIN=${COMMSIM_BIN:-$COMMSIM_ROOT/build/commsim}
  # Empty: commsim's own default, the table's three rows (`commsim list` names every algorithm).
  COMMSIM_PARADIGMS=${COMMSIM_PARADIGMS:-}
  COMMSIM_SERVER=${COMMSIM_SERVER:-last}
  COMMSIM_LAUNCHER=${COMMSIM_LAUNCHER:-mpirun}
  COMMSIM_MPIRUN_ARGS=${COMMSIM_MPIRUN_ARGS:-}
  case "$COMMSIM_MODE" in gpu|cpu) ;; *) commsim_die "COMMSIM_MODE='$COMMSIM_MODE' (allowed: gpu, cpu)" ;; esac
  case "$COMMSIM_SERVER" in last|extra) ;; *) commsim_die "COMMSIM_SERVER='$COMMSIM_SERVER' (allowed: last, extra)" ;; esac
  case "$COMMSIM_LAUNCHER" in mpirun|srun) ;; *) commsim_die "COMMSIM_LAUNCHER='$COMMSIM_LAUNCHER' (allowed: mpirun, srun)" ;; esac

  # The cluster's environment: modules first, then a file of exports, if given.
  if [ -n "${COMMSIM_MODULES:-}" ]; then
    if ! command -v module >/dev/null 2>&1 && [ -f /etc/profile.d/modules.sh ]; then
      . /etc/profile.d/modules.sh
    fi
    command -v module >/dev/null 2>&1 || commsim_die "COMMSIM_MODULES is set but there is no 'module' command"
    # shellcheck disable=SC2086
    module load $COMMSIM_MODULES
  fi
  if [ -n "${COMMSIM_ENV_FILE:-}" ]; then
    # shellcheck disable=SC1090
    . "$COMMSIM_ENV_FILE"
  fi
  [ -x "$COMMSIM_BIN" ] || commsim_die "no commsim binary at '$COMMSIM_BIN' (set COMMSIM_BIN or COMMSIM_ROOT)"

  NODES=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
  if [ "$COMMSIM_MODE" = gpu ]; then
    # Slurm sets SLURM_GPUS_ON_NODE when GPUs were requested (--gpus-per-node, --gres).
    RANKS_PER_NODE=${COMMSIM_RANKS_PER_NODE:-${SLURM_GPUS_ON_NODE:-}}
    if [ -z "$RANKS_PER_NODE" ] && command -v nvidia-smi >/dev/null; then
      RANKS_PER_NODE=$(nvidia-smi -L | wc -l)
    fi
    [ -n "$RANKS_PER_NODE" ] && [ "$RANKS_PER_NODE" -ge 1 ] || commsim_die "no GPUs found in the allocation (request --gpus-per-node, or use COMMSIM_MODE=cpu)"
    BACKEND_ARGS=(--backend nccl --memory device)
  else
    RANKS_PER_NODE=${COMMSIM_RANKS_PER_NODE:-${SLURM_NTASKS_PER_NODE:-$(( ${SLURM_NTASKS:-1} / NODES ))}}
    BACKEND_ARGS=(--backend mpi)
  fi
  [[ "$RANKS_PER_NODE" =~ ^[0-9]+$ ]] && [ "$RANKS_PER_NODE" -ge 1 ] || commsim_die "bad ranks per node '$RANKS_PER_NODE'"

  COMMSIM_RESULTS=${COMMSIM_RESULTS:-$COMMSIM_ROOT/results/${SLURM_JOB_NAME:-commsim}-${SLURM_JOB_ID:-local}}
  mkdir -p "$COMMSIM_RESULTS"
  echo "commsim-slurm: job ${SLURM_JOB_ID:-none} on ${SLURM_JOB_NODELIST:-$(hostname -s)}: $NODES node(s), $RANKS_PER_NODE rank(s) per node, mode $COMMSIM_MODE, launcher $COMMSIM_LAUNCHER"
  echo "commsim-slurm: binary $COMMSIM_BIN, results in $COMMSIM_RESULTS"
}

# Ranks for a run on `nodes` nodes: one per GPU/slot, plus the server's when COMMSIM_SERVER=extra
# and the parameter server takes part.
commsim_ranks() {
  local nodes=$1 ranks=$(( $1 * RANKS_PER_NODE ))
  if [ "$COMMSIM_SERVER" = extra ]; then
    ranks=$((ranks + $(commsim_dedicated)))
  fi
  echo "$ranks"
}

# The dedicated ranks (a parameter server's) the chosen algorithms need beside the workers, as
# `commsim list` says.
commsim_dedicated() {
  "$COMMSIM_BIN" list --format json | "${COMMSIM_PYTHON:-python3}" -c '
import json, sys
chosen = sys.argv[1].split(",") if sys.argv[1] else []
rows = [r for r in json.load(sys.stdin)["rows"] if r["kind"] == "algorithm"]
picked = [r for r in rows if (r["table_row"] if not chosen else "all" in chosen or r["name"] in chosen)]
print(max((r["dedicated_ranks"] for r in picked), default=0))' "$COMMSIM_PARADIGMS"
}

# commsim_launch NODES COMMAND...: runs COMMAND as commsim_ranks(NODES) ranks on the first NODES
# nodes of the allocation. srun places an extra server rank on the first node; mpirun puts it
# where its oversubscription rule does (with --map-by slot, as a rule the first node).
commsim_launch() {
  local nodes=$1; shift
  local ranks
  ranks=$(commsim_ranks "$nodes")
  if [ "$COMMSIM_LAUNCHER" = srun ]; then
    # For an MPI built with Slurm's PMIx support (srun --mpi=list shows it).
    srun --mpi=pmix --nodes="$nodes" --ntasks="$ranks" --overlap "$@"
  else
    # Open MPI's mpirun reads the Slurm allocation itself and starts its daemons with srun.
    # Slots per node are RANKS_PER_NODE; an extra server rank oversubscribes one node.
    local hosts="" h
    for h in $(scontrol show hostnames "${SLURM_JOB_NODELIST:-$(hostname -s)}" | head -n "$nodes"); do
      hosts+="${hosts:+,}$h:$RANKS_PER_NODE"
    done
    local root=()
    [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
    # shellcheck disable=SC2086
    mpirun "${root[@]}" -np "$ranks" --host "$hosts" --map-by slot --oversubscribe \
      --bind-to none $COMMSIM_MPIRUN_ARGS "$@"
  fi
}

# commsim_check_and_sweep NODES DIR [BACKEND ARGS...]: on the first NODES nodes, one checked step
# of every paradigm (DIR/table.json), then the size sweep (DIR/bench.json) unless
# COMMSIM_MAX_SIZE is set empty. Backend arguments default to those of COMMSIM_MODE.
commsim_check_and_sweep() {
  local nodes=$1 dir=$2; shift 2
  local backend=("$@")
  [ ${#backend[@]} -gt 0 ] || backend=("${BACKEND_ARGS[@]}")
  mkdir -p "$dir"
  echo "commsim-slurm: $nodes node(s), $(commsim_ranks "$nodes") ranks, ${backend[*]}"
  # The checked step takes the backend options where this commsim's table has them; otherwise it
  # runs over MPI in host memory.
  local table_backend=()
  if "$COMMSIM_BIN" table --help 2>/dev/null | grep -q -- '--backend'; then
    table_backend=("${backend[@]}")
  elif [ "${backend[1]:-}" != mpi ]; then
    echo "commsim-slurm: note: this commsim's table has no --backend, so its checked step runs over MPI"
  fi
  # Rank 0 alone prints the table; stdout is the JSON document.
  local chosen=()
  [ -z "$COMMSIM_PARADIGMS" ] || chosen=(--paradigm "$COMMSIM_PARADIGMS")
  commsim_launch "$nodes" "$COMMSIM_BIN" table "${table_backend[@]}" "${chosen[@]}" \
    --params "${COMMSIM_PARAMS:-64M}" --format json > "$dir/table.json"
  if [ -n "${COMMSIM_MAX_SIZE-1G}" ]; then
    commsim_launch "$nodes" "$COMMSIM_BIN" bench "${backend[@]}" "${chosen[@]}" \
      -b "${COMMSIM_MIN_SIZE:-1M}" -e "${COMMSIM_MAX_SIZE:-1G}" -f 2 --json "$dir/bench.json"
  fi
  # The links as measured, a topology file for `commsim predict` (where this commsim has calibrate).
  if [ -n "${COMMSIM_CALIBRATE_SIZE-64M}" ] &&
     "$COMMSIM_BIN" --help 2>/dev/null | grep -qE '^[[:space:]]+calibrate[[:space:]]'; then
    commsim_launch "$nodes" "$COMMSIM_BIN" calibrate "${backend[@]}" \
      -e "${COMMSIM_CALIBRATE_SIZE:-64M}" -o "$dir/topology.yaml"
  fi
}
