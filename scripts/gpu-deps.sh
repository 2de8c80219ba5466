#!/usr/bin/env bash
# Downloads, on a machine with Debian 12's package registry, the packages that
# scripts/gpu-check.sh unpacks on a GPU machine which has the CUDA toolkit, CMake, Ninja and g++
# but no MPI and no way to fetch anything: Open MPI with the libraries it loads, and the
# build-and-test libraries (CLI11, nlohmann-json, yaml-cpp, GoogleTest, Google Benchmark).
# Nothing is installed; the .deb files land in .gpu-deps/ (git-ignored), about 10 MB.
#
#   scripts/gpu-deps.sh            then carry .gpu-deps to the GPU machine and run
#   scripts/gpu-check.sh           there (it finds .gpu-deps/ in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu-deps

# Open MPI and what its libraries and components link (ldd over orterun, libmpi and the MCA
# components); libc6, libstdc++6, zlib1g, libudev1 and libuuid1 are left to the machine's own.
mpi=(openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev libpmix2 libhwloc15
     libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7 libfabric1 libucx0 libpsm2-2
     libpsm-infinipath1 libibverbs1 ibverbs-providers librdmacm1 libnl-3-200 libnl-route-3-200
     libnuma1 libmunge2 libatomic1)
build=(libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libyaml-cpp0.7 libgtest-dev libgmock-dev
       libbenchmark-dev libbenchmark1debian)

command -v apt-get >/dev/null || { echo "gpu-deps: needs apt-get (Debian 12)" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.deb
if ! (cd "$out" && apt-get download -q "${mpi[@]}" "${build[@]}" >/dev/null); then
  echo "gpu-deps: apt-get download failed; run 'apt-get update' (as root) and try again" >&2
  exit 2
fi
echo "gpu-deps: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1) in $out/"
