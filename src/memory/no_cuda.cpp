// A build without CUDA: the GPU entry points exist and refuse with UsageError (exit status 2),
// so every caller links in every build and the user learns why.
#include "commsim/baseline.hpp"
#include "commsim/device.hpp"
#include "commsim/error.hpp"

namespace commsim {

BaselineOffer makeNcclAllreduce(Transport& transport, const Layout& layout);

namespace {
[[noreturn]] void noCuda(const char* what) {
  throw UsageError(std::string(what) +
                   ": this build of commsim has no CUDA (nvcc, the CUDA toolkit or NCCL was not "
                   "found when it was configured); allowed here: --backend mpi --memory host");
}
}  // namespace

bool builtWithCuda() { return false; }
std::string cudaUnavailableReason() { return "this build of commsim has no CUDA"; }
int visibleCudaDevices() { return 0; }
std::unique_ptr<MemorySpace> makeDeviceMemory(int) { noCuda("memory: device"); }
void preselectDevice() {}
MpiDevicePath detectMpiDevicePath() { return MpiDevicePath::Staged; }
DeviceBackend makeDeviceBackend(MPI_Comm, std::string_view transport) {
  noCuda(transport == "nccl" ? "backend: nccl" : "memory: device");
}
void ncclAllReduceSum(Transport&, const void*, void*, std::uint64_t, DType) {
  noCuda("baseline: nccl-allreduce");
}
bool isNcclTransport(const Transport&) { return false; }
MPI_Comm cudaAwareMpiComm(Transport&) { return MPI_COMM_NULL; }
BaselineOffer makeNcclAllreduce(Transport&, const Layout&) {
  return {nullptr, "nccl-allreduce needs a CUDA build of commsim (this one has none)"};
}

}  // namespace commsim
