// Device memory: whether this build and this process can use a CUDA device, and device memory
// itself. The transports that move device buffers (NCCL, MPI on device buffers) are private
// (src/transport/gpu.hpp and the transports table).
//
// Declared in every build. A build without CUDA (no nvcc, toolkit or NCCL at configure time)
// compiles stubs: builtWithCuda() is false and the factories throw UsageError saying so, so the
// command refuses --backend nccl / --memory device with exit status 2 instead of failing to link.
#pragma once

#include <memory>
#include <string>

#include "commsim/memory.hpp"

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

}  // namespace commsim
