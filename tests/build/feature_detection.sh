#!/usr/bin/env bash
# The optional features' detection does not stick (issue 11): configures scratch build directories
# of this source tree and reads the outcome from configure's status line.
#   1. SimGrid hidden at the first configure (its header's directory on CMAKE_IGNORE_PATH, as on a
#      machine without libsimgrid-dev), present at the next: OFF, then ON.
#   2. A cache from before AUTO existed, holding the BOOL OFF that detection chose: read as AUTO.
#   3. An explicit -DCOMMSIM_WITH_SIMGRID=OFF wins, and stays through later configures.
#   4. ON with SimGrid hidden fails configure, naming what is missing.
# Usage: feature_detection.sh SOURCE_DIR SCRATCH_DIR. Exit 77 (skip) where SimGrid is not installed.
set -euo pipefail
src=$1
scratch=$2
header=$(echo '#include <smpi/mpi.h>' | ${CXX:-c++} -E -M -x c++ - 2>/dev/null |
         tr ' \\' '\n\n' | grep -m1 '/smpi/mpi\.h$' || true)
if [ -z "$header" ]; then
  echo "SKIP: SimGrid's smpi/mpi.h is not installed (Debian: libsimgrid-dev), nothing to detect" >&2
  exit 77
fi
hidden=$(dirname "$(dirname "$header")")   # the directory find_path searches: /usr/include
rm -rf "$scratch"
mkdir -p "$scratch"
fail=0

# Configures $1 (a build directory) with the remaining arguments; prints SimGrid's outcome line.
outcome() {
  local dir=$1; shift
  cmake -S "$src" -B "$dir" -G Ninja -DCOMMSIM_WITH_CUDA=OFF "$@" >"$dir.log" 2>&1 ||
    { echo "configure failed"; return 0; }
  grep -o 'SimGrid [A-Z]* ([^)]*)' "$dir.log" || echo "no status line"
}

# Checks that $2 (an outcome) starts with $3; $1 names the step.
expect() {
  if [[ $2 == "$3"* ]]; then
    echo "ok   $1: $2"
  else
    echo "FAIL $1: got '$2', expected '$3…'"
    fail=1
  fi
}

b=$scratch/hidden-then-installed
expect "hidden at first configure" "$(outcome "$b" -DCMAKE_IGNORE_PATH="$hidden")" "SimGrid OFF (AUTO, not found"
expect "installed by the next"     "$(outcome "$b" -UCMAKE_IGNORE_PATH)" "SimGrid ON (AUTO, found)"

# A cache of the old kind: the BOOL detection wrote, and no marker of the AUTO/ON/OFF choice.
b=$scratch/old-cache
outcome "$b" >/dev/null
sed -i -e '/^COMMSIM_FEATURE_CHOICE:/d' \
       -e 's/^COMMSIM_WITH_SIMGRID:STRING=.*/COMMSIM_WITH_SIMGRID:BOOL=OFF/' "$b/CMakeCache.txt"
expect "an old cache's detected OFF" "$(outcome "$b")" "SimGrid ON (AUTO, found)"

b=$scratch/explicit-off
expect "explicit OFF"             "$(outcome "$b" -DCOMMSIM_WITH_SIMGRID=OFF)" "SimGrid OFF (-DCOMMSIM_WITH_SIMGRID=OFF)"
expect "explicit OFF, reconfigured" "$(outcome "$b")" "SimGrid OFF (-DCOMMSIM_WITH_SIMGRID=OFF)"

b=$scratch/required-but-hidden
outcome "$b" -DCOMMSIM_WITH_SIMGRID=ON -DCMAKE_IGNORE_PATH="$hidden" >/dev/null
if grep -q 'COMMSIM_WITH_SIMGRID=ON, but this machine lacks smpi/mpi.h' "$b.log"; then
  echo "ok   ON with SimGrid hidden: configure fails naming smpi/mpi.h"
else
  echo "FAIL ON with SimGrid hidden: configure did not fail naming smpi/mpi.h"; tail -5 "$b.log"
  fail=1
fi
rm -rf "$scratch"
exit $fail
