// Making a GPU backend: which GPU each rank takes, whether ranks share one, which MPI path.
#include <cstdlib>
#include <string>
#include <vector>

#include "../memory/device_memory.hpp"
#include "commsim/device.hpp"
#include "commsim/error.hpp"
#include "commsim/mpi_transport.hpp"
#include "mpi/device_mpi_transport.hpp"
#include "nccl/nccl_transport.hpp"

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

MPI_Comm cudaAwareMpiComm(Transport& transport) {
  auto* t = dynamic_cast<DeviceMpiTransport*>(&transport);
  return t && t->path() == MpiDevicePath::CudaAware ? t->comm() : MPI_COMM_NULL;
}

namespace {

std::uint64_t maxOver(MPI_Comm comm, std::uint64_t mine) {
  std::uint64_t all = 0;
  COMMSIM_MPI_CHECK(MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_MAX, comm));
  return all;
}

}  // namespace

DeviceBackend makeDeviceBackend(MPI_Comm comm, std::string_view transport) {
  const std::string what = transport == "nccl" ? "backend: nccl" : "memory: device";
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_Comm host = MPI_COMM_NULL;
  COMMSIM_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host));
  int localRank = 0, localSize = 1;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(host, &localRank));
  COMMSIM_MPI_CHECK(MPI_Comm_size(host, &localSize));

  // Refused alike on every rank when any rank has no GPU, so no rank waits for another.
  const std::string why = cudaUnavailableReason();
  int devices = 0;
  if (why.empty()) COMMSIM_CUDA_CHECK(cudaGetDeviceCount(&devices));
  if (maxOver(comm, why.empty() ? 0 : 1)) {
    COMMSIM_MPI_CHECK(MPI_Comm_free(&host));
    throw UsageError(what + " needs a CUDA device on every rank" +
                     (why.empty() ? std::string(", and some rank has none") : ": " + why));
  }

  DeviceBackend b;
  auto memory = std::make_unique<DeviceMemory>(localRank % devices);
  // Ranks of this host on the same physical GPU share its memory (and, for NCCL, cannot be).
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(localSize));
  const std::uint64_t mine = memory->pciId();
  COMMSIM_MPI_CHECK(MPI_Allgather(&mine, 1, MPI_UINT64_T, ids.data(), 1, MPI_UINT64_T, host));
  COMMSIM_MPI_CHECK(MPI_Comm_free(&host));
  int sharers = 0;
  for (const std::uint64_t id : ids) sharers += id == mine ? 1 : 0;
  memory->setSharers(sharers);

  if (transport == "nccl") {
    const auto most = maxOver(comm, static_cast<std::uint64_t>(sharers));
    if (most > 1)
      throw UsageError(
          "backend: nccl needs one GPU per rank, but " + std::to_string(most) +
          " ranks of one host share a GPU (rank " + std::to_string(rank) + " sees " +
          std::to_string(devices) + " GPU(s) for the " + std::to_string(localSize) +
          " rank(s) of its host); start at most one rank per GPU, or give each rank its own "
          "(CUDA_VISIBLE_DEVICES, srun --gpus-per-task=1)");
    b.transport = std::make_unique<NcclTransport>(comm, *memory);
  } else {
    b.transport = std::make_unique<DeviceMpiTransport>(comm, *memory, detectMpiDevicePath());
  }
  b.memory = std::move(memory);
  return b;
}

}  // namespace commsim
