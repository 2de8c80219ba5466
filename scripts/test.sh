#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (what CI runs). Arguments go to ctest,
# e.g. scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --extra plots --extra slurm --extra multihost
scripts/build.sh
cd "${COMMSIM_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
