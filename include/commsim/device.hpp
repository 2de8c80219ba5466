// GPUs: device memory, the NCCL transport and MPI on device buffers.
//
// Declared in every build. A build without CUDA (no nvcc, toolkit or NCCL at configure time)
// compiles stubs: builtWithCuda() is false and the factories throw UsageError saying so, so the
// command refuses --backend nccl / --memory device with exit status 2 instead of failing to link.
#pragma once


#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "commsim/dtype.hpp"
#include "commsim/memory.hpp"
#include "commsim/transport.hpp"

namespace commsim {

bool builtWithCuda();
// What a build without CUDA answers where CUDA is needed: UsageError saying that `what`
// ("memory: device") needs a CUDA build (exit status 2).
[[noreturn]] void refuseWithoutCuda(const char* what);

// Empty when this process can use a CUDA device; otherwise why it cannot, in words (no CUDA in
// this build, no device, the driver's error).
std::string cudaUnavailableReason();
// CUDA devices this process sees (0 when none, or no CUDA in this build).
int visibleCudaDevices();

// Device memory on `device` (an index among the visible devices), with its own CUDA stream. All
// its work, and an NCCL transport's, is ordered on that stream.
std::unique_ptr<MemorySpace> makeDeviceMemory(int device);

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
// The ncclAllReduce baseline (SPEC §3): sums `count` elements of `send` on every rank into `recv`
// (device buffers of the NCCL transport's memory; they may be the same, for in place) and returns
// once the result is in `recv`. Throws UsageError when `transport` is not the NCCL transport.
void ncclAllReduceSum(Transport& transport, const void* send, void* recv, std::uint64_t count,
                      DType dtype);

}  // namespace commsim
