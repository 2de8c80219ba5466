# Sourced by scripts/gpu-check.sh (and usable by hand: `source scripts/gpu-env.sh`): makes MPI,
# the build libraries and NCCL usable on a machine that has none installed, from the Debian 12
# packages that scripts/gpu-deps.sh downloaded into .gpu-deps/. Nothing is installed: the
# packages are unpacked (dpkg-deb -x) into $COMMSIM_DEPS_PREFIX (default /tmp/commsim-deps) and
# the environment points there. Sets COMMSIM_CMAKE_ARGS for the configure step. A machine with
# its own mpirun and mpicxx keeps them.
COMMSIM_CMAKE_ARGS=()
_commsim_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_commsim_deps=${COMMSIM_GPU_DEPS:-$_commsim_root/.gpu-deps}
if [ -x "$(type -P mpirun)" ] && [ -x "$(type -P mpicxx)" ]; then
  echo "gpu-env: using the MPI on the PATH: $(command -v mpirun)" >&2
elif ! ls "$_commsim_deps"/*.deb >/dev/null 2>&1; then
  echo "gpu-env: no MPI here and no packages in $_commsim_deps: run scripts/gpu-deps.sh where" \
       "apt-get works, and bring .gpu-deps along" >&2
  return 2
else
  _p=${COMMSIM_DEPS_PREFIX:-/tmp/commsim-deps}
  rm -rf "$_p" && mkdir -p "$_p/bin"
  for _d in "$_commsim_deps"/*.deb; do
    dpkg-deb -x "$_d" "$_p" || { echo "gpu-env: cannot unpack $_d" >&2; return 2; }
  done
  _lib=$_p/usr/lib/x86_64-linux-gnu
  # Open MPI and PMIx were built for /usr; these relocate them into the prefix.
  export OPAL_PREFIX=$_p/usr
  export PMIX_INSTALL_PREFIX=$_lib/pmix2
  # Debian's mpirun and mpicxx names come from update-alternatives, which dpkg-deb -x skips.
  ln -sf "$_p/usr/bin/mpirun.openmpi" "$_p/bin/mpirun"
  ln -sf "$_p/usr/bin/mpicxx.openmpi" "$_p/bin/mpicxx"
  # Containers and micro-VMs often refuse the cross-process copies (CMA, process_vm_readv) that
  # Open MPI's shared-memory transport makes by default ("Read -1, expected ..., errno = 1");
  # copies through the shared segment work everywhere. Set it to cma to measure with them.
  export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
  export PATH=$_p/bin:$_p/usr/bin:$PATH
  export LD_LIBRARY_PATH=$_lib:$_lib/openmpi/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CMAKE_PREFIX_PATH=$_p/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
  COMMSIM_CMAKE_ARGS+=(-DMPI_CXX_COMPILER="$_p/usr/bin/mpicxx.openmpi"
                       -DMPIEXEC_EXECUTABLE="$_p/usr/bin/mpirun.openmpi")
  echo "gpu-env: unpacked $(ls "$_commsim_deps"/*.deb | wc -l) packages into $_p" >&2
fi
# NCCL: the toolkit's, $NCCL_HOME, or NVIDIA's nvidia-nccl Python wheel (PyTorch brings it).
if [ -z "${NCCL_HOME:-}" ] && [ ! -f /usr/local/cuda/include/nccl.h ] && [ ! -f /usr/include/nccl.h ]; then
  _w=$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)
  if [ -n "$_w" ] && [ -f "$_w/include/nccl.h" ]; then
    export NCCL_HOME=$_w
    export LD_LIBRARY_PATH=$_w/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "gpu-env: NCCL from the Python wheel in $_w" >&2
  fi
fi
true
