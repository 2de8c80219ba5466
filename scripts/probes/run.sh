#!/bin/bash
# Builds and runs the probes behind docs/validation.md's seventh-session figures (small MPI
# programs beside commsim, on one host):
#   bash scripts/probes/run.sh exchange_sweep 2     # ranks 0 and 1, sizes between factors of 4
#   bash scripts/probes/run.sh pairs_at_once 4      # every pair at once, and one pair alone
#   bash scripts/probes/run.sh ring_chunks 4        # a ring's chunks walking a step's buffer
set -euo pipefail
probe=${1:?which probe: exchange_sweep, pairs_at_once or ring_chunks}
ranks=${2:-4}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mpicc -O2 -Wall -Wextra -o "$out/$probe" "$here/$probe.c"
root=()
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
mpirun "${root[@]}" --oversubscribe -np "$ranks" "$out/$probe"
