#!/usr/bin/env bash
# Configures and builds commsim in build/ (or $COMMSIM_BUILD_DIR). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${COMMSIM_BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCOMMSIM_WERROR=$werror "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
