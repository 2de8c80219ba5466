#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (what CI runs). Arguments go to ctest,
# e.g. scripts/test.sh -L unit.
#
# Without arguments the sanitizer suite follows (scripts/sanitize.sh: a second build with
# AddressSanitizer and UndefinedBehaviorSanitizer, unit, cli and mpi tests); set
# COMMSIM_SANITIZER_SUITE=0 to leave it out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --extra plots --extra slurm --extra multihost --extra simgrid --extra fuzz
scripts/build.sh
(cd "${COMMSIM_BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ $# -eq 0 ] && [ "${COMMSIM_SANITIZER_SUITE:-1}" != 0 ]; then
  scripts/sanitize.sh
fi
