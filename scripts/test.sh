#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (what CI runs). Arguments go to ctest,
# e.g. scripts/test.sh -L unit.
#
# Without arguments the sanitizer suite follows (scripts/sanitize.sh: a second build with
# AddressSanitizer and UndefinedBehaviorSanitizer, unit, cli and mpi tests); set
# COMMSIM_SANITIZER_SUITE=0 to leave it out.
#
# Skipped tests are listed at the end, each with its reason. In CI (CI=true) or with
# COMMSIM_NO_SKIP=1 a skipped test fails the run unless it needs a GPU (label gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --extra plots --extra slurm --extra multihost --extra simgrid --extra fuzz
scripts/build.sh
build=$(cd "${COMMSIM_BUILD_DIR:-build}" && pwd)
status=0
(cd "$build" && ctest --output-on-failure -j "$(nproc)" --output-junit "$build/ctest-junit.xml" "$@") ||
  status=$?
python3 scripts/skips.py "$build" "$build/ctest-junit.xml" || status=1
[ "$status" -eq 0 ] || exit "$status"
if [ $# -eq 0 ] && [ "${COMMSIM_SANITIZER_SUITE:-1}" != 0 ]; then
  scripts/sanitize.sh
fi
