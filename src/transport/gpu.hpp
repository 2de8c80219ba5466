// What the transports on device buffers share beyond device memory (commsim/device.hpp): the GPU
// a rank takes before MPI starts and how MPI moves device buffers. Declared in every build; a
// build without CUDA has stand-ins (no_cuda.cpp).
#pragma once

#include <string_view>

namespace commsim {

// The node-local rank the launcher announces (Open MPI, MPICH/Hydra, MVAPICH, Slurm), -1 if none.
int launcherLocalRank();
// Makes the GPU of the launcher's node-local rank current before MPI starts, so a CUDA-aware MPI
// sets itself up on that GPU and no rank touches GPU 0 by accident. A hint only: the device is
// chosen again from the MPI shared-memory split when the backend is made. Never throws.
void preselectDevice();

// How MPI moves device buffers.
enum class MpiDevicePath {
  CudaAware,  // device pointers handed to MPI directly
  Staged,     // through pinned host buffers, one copy each way
};
// Open MPI's MPIX_Query_cuda_support() at run time (false for other libraries);
// COMMSIM_MPI_CUDA_AWARE=1 or 0 overrides it. Call after MPI_Init.
MpiDevicePath detectMpiDevicePath();
std::string_view mpiDevicePathName(MpiDevicePath path);  // "cuda-aware", "staged"

}  // namespace commsim
