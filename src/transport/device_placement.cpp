// GPUs for the ranks of an MPI job: which GPU each rank takes and whether ranks share one, which
// MPI path device buffers take, and the CUDA availability checks.
#include <cstdlib>
#include <string>
#include <vector>

#include "transport/device_placement.hpp"

#include "commsim/device.hpp"
#include "transport/gpu.hpp"
#include "commsim/error.hpp"
#include "transport/mpi/mpi_transport.hpp"

#if defined(OPEN_MPI) && __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif

namespace commsim {

bool builtWithCuda() { return true; }

std::string cudaUnavailableReason() {
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess) {
    (void)cudaGetLastError();
    return "no usable CUDA device (cudaGetDeviceCount: " + cudaErrorText(rc) + ")";
  }
  if (count == 0) return "no visible CUDA device (cudaGetDeviceCount found 0; check CUDA_VISIBLE_DEVICES)";
  return {};
}

int visibleCudaDevices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

std::unique_ptr<MemorySpace> makeDeviceMemory(int device) {
  return std::make_unique<DeviceMemory>(device);
}

MpiDevicePath detectMpiDevicePath() {
  if (const char* v = std::getenv("COMMSIM_MPI_CUDA_AWARE"); v && *v) {
    const std::string s(v);
    if (s == "1") return MpiDevicePath::CudaAware;
    if (s == "0") return MpiDevicePath::Staged;
    throw UsageError("COMMSIM_MPI_CUDA_AWARE: '" + s +
                     "' is not allowed (1: hand device buffers to MPI, 0: stage them through "
                     "host memory; unset: ask the MPI library)");
  }
#if defined(OMPI_HAVE_MPI_EXT_CUDA) && OMPI_HAVE_MPI_EXT_CUDA
  // The library loaded at run time answers, not the header this was compiled against.
  return MPIX_Query_cuda_support() ? MpiDevicePath::CudaAware : MpiDevicePath::Staged;
#else
  return MpiDevicePath::Staged;
#endif
}

void preselectDevice() {
  const int local = launcherLocalRank();
  if (local < 0) return;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    return;  // reported when the backend is made
  }
  if (cudaSetDevice(local % count) != cudaSuccess) (void)cudaGetLastError();
}

std::uint64_t maxOverRanks(MPI_Comm comm, std::uint64_t mine) {
  std::uint64_t all = 0;
  COMMSIM_MPI_CHECK(MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_MAX, comm));
  return all;
}

DevicePlacement placeOnDevice(MPI_Comm comm, const std::string& what) {
  DevicePlacement p;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(comm, &p.rank));
  MPI_Comm host = MPI_COMM_NULL;
  COMMSIM_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, p.rank, MPI_INFO_NULL, &host));
  int localRank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(host, &localRank));
  COMMSIM_MPI_CHECK(MPI_Comm_size(host, &p.localSize));

  // Refused alike on every rank when any rank has no GPU, so no rank waits for another.
  const std::string why = cudaUnavailableReason();
  if (why.empty()) COMMSIM_CUDA_CHECK(cudaGetDeviceCount(&p.devices));
  if (maxOverRanks(comm, why.empty() ? 0 : 1)) {
    COMMSIM_MPI_CHECK(MPI_Comm_free(&host));
    throw UsageError(what + " needs a CUDA device on every rank" +
                     (why.empty() ? std::string(", and some rank has none") : ": " + why));
  }

  p.memory = std::make_unique<DeviceMemory>(localRank % p.devices);
  // Ranks of this host on the same physical GPU share its memory (and, for NCCL, cannot be).
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(p.localSize));
  const std::uint64_t mine = p.memory->pciId();
  COMMSIM_MPI_CHECK(MPI_Allgather(&mine, 1, MPI_UINT64_T, ids.data(), 1, MPI_UINT64_T, host));
  COMMSIM_MPI_CHECK(MPI_Comm_free(&host));
  p.sharers = 0;
  for (const std::uint64_t id : ids) p.sharers += id == mine ? 1 : 0;
  p.memory->setSharers(p.sharers);
  return p;
}

}  // namespace commsim
