// Which GPU a rank of an MPI job takes, for the transports that move device buffers (CUDA builds).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>

#include "memory/device_memory.hpp"

namespace commsim {

struct DevicePlacement {
  std::unique_ptr<DeviceMemory> memory;  // on the GPU of this rank's node-local rank
  int rank = 0;                          // in comm
  int localSize = 1;                     // ranks of this host
  int devices = 0;                       // GPUs this rank sees
  int sharers = 1;                       // ranks of this host on this rank's physical GPU
};

// Each rank of `comm` takes the GPU of its node-local rank (modulo the visible devices) and learns
// how many ranks of its host share that GPU. Collective over comm; refused with UsageError on every
// rank, naming `what` ("memory: device"), when any rank has no GPU.
DevicePlacement placeOnDevice(MPI_Comm comm, const std::string& what);

// The largest of every rank's `mine` over comm.
std::uint64_t maxOverRanks(MPI_Comm comm, std::uint64_t mine);

}  // namespace commsim
