#!/usr/bin/env bash
# The sanitizer suite: builds commsim with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (no CUDA, no benchmarks, no SimGrid module) and runs the unit, cli and mpi tests
# there, so every process the tests start (commsim under mpirun included) runs instrumented. Any report fails the
# run: a sanitizer's output breaks the tests' one-line stderr checks, and its exit status theirs.
# Leaks inside Open MPI and the libraries below it are suppressed (tests/sanitizers/lsan.supp);
# commsim's own are not. Arguments go to ctest. Skipped tests are listed as scripts/test.sh lists
# them, and fail the run in CI (CI=true) or with COMMSIM_NO_SKIP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${COMMSIM_ASAN_BUILD_DIR:-build-asan}
COMMSIM_BUILD_DIR=$build scripts/build.sh \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMMSIM_SANITIZE=address,undefined -DCOMMSIM_WITH_CUDA=OFF \
  -DCOMMSIM_BUILD_BENCH=OFF -DCOMMSIM_WITH_SIMGRID=OFF
# Whole allocation stacks through Open MPI (built without frame pointers) and its components
# (kept mapped at exit), so the suppressions can see whose memory a leak is.
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1
export OMPI_MCA_mca_base_component_disable_dlclose=1
# use_tls=0: LeakSanitizer's own tracer crashed ("Tracer caught signal 11") reading a corrupt
# dynamic-TLS range (DTLS 7 at 0x1943-0x400002a45, LSAN_OPTIONS=verbosity=1) in one rank of
# `mpirun -np 9 commsim table --paradigm all` (Open MPI's components kept mapped, as above); it
# is not a leak report, and without scanning TLS the run finishes with none.
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0:use_tls=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build=$(cd "$build" && pwd)
status=0
(cd "$build" && ctest --output-on-failure -j "$(nproc)" -L '^(unit|cli|mpi)$' \
   --output-junit "$build/ctest-junit.xml" "$@") || status=$?
python3 scripts/skips.py "$build" "$build/ctest-junit.xml" || status=1
exit "$status"
