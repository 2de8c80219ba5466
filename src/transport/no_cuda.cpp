// A build without CUDA: the GPU transports' entry points exist and refuse with UsageError (exit
// status 2), so the table (transports.cpp) links in every build and the user learns why.
#include "commsim/device.hpp"
#include "transport/gpu.hpp"
#include "transport/transports.hpp"

namespace commsim {

RankBackend makeDeviceMpiBackend(MPI_Comm) { refuseWithoutCuda("memory: device"); }
RankBackend makeNcclBackend(MPI_Comm, std::string_view) { refuseWithoutCuda("backend: nccl"); }
void preselectDevice() {}
MpiDevicePath detectMpiDevicePath() { return MpiDevicePath::Staged; }

}  // namespace commsim
