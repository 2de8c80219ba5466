#!/usr/bin/env bash
# Sets up, builds and reproduces the communication-cost table on 5 local MPI processes:
# 4 workers plus the dedicated parameter-server rank. Arguments go to `commsim table`.
# SimGrid comes too, so every commsim command works after this one (`commsim simulate` included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --extra simgrid
scripts/build.sh
build=${COMMSIM_BUILD_DIR:-build}
echo "+ mpirun -np 5 $build/commsim table $*" >&2
exec scripts/mpirun.sh -np 5 "$build/commsim" table "$@"
