// A build without CUDA: device memory's entry points exist and refuse with UsageError (exit
// status 2), so every caller links in every build and the user learns why. The transports'
// stand-ins are in src/transport/no_cuda.cpp.
#include "commsim/device.hpp"

namespace commsim {

bool builtWithCuda() { return false; }
std::string cudaUnavailableReason() { return "this build of commsim has no CUDA"; }
int visibleCudaDevices() { return 0; }
std::unique_ptr<MemorySpace> makeDeviceMemory(int) { refuseWithoutCuda("memory: device"); }

}  // namespace commsim
