#!/usr/bin/env bash
# Configures and builds commsim in build/ (or $COMMSIM_BUILD_DIR). Extra arguments go to cmake.
# Prints which optional features (CUDA+NCCL, SimGrid) the build has, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${COMMSIM_BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCOMMSIM_WERROR=$werror "$@" |
  sed -n 's/^-- commsim: /build: /p'
cmake --build "$build" -j "$(nproc)"
