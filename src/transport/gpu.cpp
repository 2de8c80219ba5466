// The GPU transports' helpers that need no CUDA: the launcher's node-local rank and names.
#include "transport/gpu.hpp"

#include <cstdlib>

namespace commsim {

int launcherLocalRank() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "MV2_COMM_WORLD_LOCAL_RANK",
                          "PMI_LOCAL_RANK", "SLURM_LOCALID"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    char* end = nullptr;
    const long r = std::strtol(v, &end, 10);
    if (*end == '\0' && r >= 0 && r < 1 << 20) return static_cast<int>(r);
  }
  return -1;
}

std::string_view mpiDevicePathName(MpiDevicePath path) {
  return path == MpiDevicePath::CudaAware ? "cuda-aware" : "staged";
}

}  // namespace commsim
