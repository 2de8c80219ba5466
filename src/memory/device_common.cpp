// Device memory's part that needs no CUDA: the refusal of a build without it.
#include <string>

#include "commsim/device.hpp"
#include "commsim/error.hpp"

namespace commsim {

void refuseWithoutCuda(const char* what) {
  throw UsageError(std::string(what) +
                   ": this build of commsim has no CUDA (nvcc, the CUDA toolkit or NCCL was not "
                   "found when it was configured); allowed here: --backend mpi --memory host");
}

}  // namespace commsim
