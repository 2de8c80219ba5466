#!/usr/bin/env bash
# Installs what commsim needs from Debian's packages, if it is missing.
# As root: apt-get installs the missing packages. Otherwise nothing is installed: the missing
# packages are named, and an MPI already on the PATH (a cluster's module) is used if there is one.
#
#   scripts/bootstrap.sh            build and test dependencies
#   scripts/bootstrap.sh --extra X  also the packages of group X (simgrid, slurm, plots, fuzz)
set -euo pipefail

core=(cmake ninja-build g++ pkg-config openmpi-bin libopenmpi-dev libcli11-dev nlohmann-json3-dev
      libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev python3)
declare -A extra=(
  [plots]="python3-matplotlib"
  [simgrid]="libsimgrid-dev libjemalloc2"
  [slurm]="slurm-wlm munge"
  [multihost]="iproute2 procps"
  [fuzz]="clang-14 libclang-rt-14-dev"
)

want=("${core[@]}")
while [ $# -gt 0 ]; do
  case "$1" in
    --extra)
      [ $# -ge 2 ] || { echo "bootstrap: --extra needs a group: ${!extra[*]}" >&2; exit 2; }
      [ -n "${extra[$2]+x}" ] || { echo "bootstrap: unknown group '$2' (allowed: ${!extra[*]})" >&2; exit 2; }
      read -r -a more <<<"${extra[$2]}"; want+=("${more[@]}"); shift 2 ;;
    *) echo "bootstrap: unknown argument '$1' (allowed: --extra GROUP)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "bootstrap: not root, so nothing is installed; missing Debian packages: ${missing[*]}" >&2
if command -v mpicxx >/dev/null && command -v mpirun >/dev/null; then
  echo "bootstrap: using the MPI on the PATH: $(command -v mpirun)" >&2
fi
exit 0
