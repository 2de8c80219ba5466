#!/usr/bin/env bash
# Rehearses, on a machine without a GPU, everything scripts/gpu-check.sh does on the GPU machine
# before it needs the GPU: setting up MPI and the libraries from .gpu-deps/ alone, configuring
# with CUDA, building, and running mpirun from the unpacked packages.
#
# The GPU machine has the CUDA toolkit, CMake, Ninja, g++ and Python's nvidia-nccl wheel, and no
# MPI, no build libraries and no SimGrid. In a private mount namespace (root; nothing outside it
# changes) this script hides this machine's Open MPI, CLI11, nlohmann-json, yaml-cpp, GoogleTest,
# Google Benchmark and SimGrid behind bind mounts, and with --nccl-wheel also the toolkit's NCCL,
# then sources scripts/gpu-env.sh, builds in build-rehearse/ and runs the cli, mpi and gpu tests
# (the gpu ones skip: no GPU here).
#
#   scripts/gpu-deps.sh                                  # once: .gpu-deps/
#   scripts/gpu-rehearse.sh                              # NCCL from the toolkit
#   scripts/gpu-rehearse.sh --nccl-wheel nvidia_nccl_cu13-*.whl   # NCCL as the GPU machine has it
#     (python3 -m pip download --no-deps --only-binary=:all: nvidia-nccl-cu13 -d /tmp/whl)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
wheel=
while [ $# -gt 0 ]; do
  case $1 in
    --nccl-wheel) [ $# -ge 2 ] || { echo "gpu-rehearse: --nccl-wheel needs a file" >&2; exit 2; }
                  wheel=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-rehearse: unknown argument '$1' (--nccl-wheel FILE)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "gpu-rehearse: needs root (unshare -m, bind mounts)" >&2; exit 2; }
ls "$root"/.gpu-deps/*.deb >/dev/null 2>&1 ||
  { echo "gpu-rehearse: no .gpu-deps/: run scripts/gpu-deps.sh first" >&2; exit 2; }
if [ -n "$wheel" ] && [ ! -f "$wheel" ]; then
  echo "gpu-rehearse: no such wheel: $wheel" >&2; exit 2
fi

if [ -z "${COMMSIM_REHEARSAL_INSIDE:-}" ]; then
  exec env COMMSIM_REHEARSAL_INSIDE=1 unshare -m --propagation private "$0" \
    ${wheel:+--nccl-wheel "$wheel"}
fi

# ---- inside the namespace: hide what the GPU machine does not have ---------------------------
empty=$(mktemp -d)
hide() {  # files become empty character devices, folders empty folders
  local p
  for p in "$@"; do
    if [ -d "$p" ] && [ ! -L "$p" ]; then mount --bind "$empty" "$p"
    elif [ -e "$p" ]; then mount --bind /dev/null "$(realpath "$p")"
    fi
  done
}
lib=/usr/lib/x86_64-linux-gnu
hide /usr/bin/orterun /usr/bin/opal_wrapper /usr/bin/smpirun "$lib"/libmpi.so.40.* \
     "$lib"/libopen-pal.so.40.* "$lib"/libopen-rte.so.40.* "$lib"/openmpi \
     "$lib"/libgtest.a "$lib"/libgmock.a "$lib"/libbenchmark.so.* "$lib"/libyaml-cpp.so.* \
     "$lib"/libsimgrid.so* "$lib"/cmake/GTest "$lib"/cmake/benchmark "$lib"/cmake/yaml-cpp \
     /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json /usr/include/CLI /usr/include/nlohmann \
     /usr/include/yaml-cpp /usr/include/gtest /usr/include/gmock /usr/include/benchmark \
     /usr/include/simgrid /usr/include/smpi
if [ -n "$wheel" ]; then
  hide /usr/local/cuda/include/nccl.h /usr/local/include/nccl.h /usr/include/nccl.h \
       /usr/local/cuda/lib/libnccl.so* /usr/local/cuda/lib64/libnccl.so* /usr/lib/x86_64-linux-gnu/libnccl.so*
  site=/tmp/commsim-rehearse-site
  rm -rf "$site" && mkdir -p "$site"
  (cd "$site" && python3 -m zipfile -e "$wheel" .)
  export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
fi
for tool in mpirun mpicxx; do  # type -P names a file that is not executable when nothing else
  if [ -x "$(type -P $tool)" ]; then
    echo "gpu-rehearse: this machine's $tool is still usable: $(type -P $tool)" >&2
    exit 1
  fi
done

source "$root/scripts/gpu-env.sh"
build=$root/build-rehearse
rm -rf "$build"  # as on a fresh machine: nothing cached from an earlier rehearsal
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOMMSIM_WITH_CUDA=ON \
  "${COMMSIM_CMAKE_ARGS[@]}" | grep -E '^-- (commsim|Found (GTest|MPI|CUDAToolkit))'
grep -E '^NCCL_(INCLUDE_DIR|LIBRARY)' "$build/CMakeCache.txt"
cmake --build "$build" -j "$(nproc)" | tail -1
echo "gpu-rehearse: commsim links $(ldd "$build/commsim" | grep -oE '/[^ ]*lib(mpi|nccl|yaml-cpp)\.so[^ ]*' | tr '\n' ' ')"
mpirun --allow-run-as-root --oversubscribe -np 3 "$build/commsim" table -p 1000 | tail -4
log=$build/rehearse-ctest.log
rc=0
(cd "$build" && ctest -L 'cli|mpi|gpu' -j "$(nproc)" --output-on-failure >"$log" 2>&1) || rc=$?
grep -E 'tests passed' "$log"
echo "gpu-rehearse: $(grep -c '(Skipped)' "$log") skipped for want of a GPU (ctest log: $log)"
if [ $rc -ne 0 ]; then
  grep -E '\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)' "$log" >&2
  exit 1
fi
echo "gpu-rehearse: the GPU machine's set-up held: MPI, libraries and NCCL from outside the system"
