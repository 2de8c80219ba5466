// MPI on device buffers.
//
// Before a send or a receive is posted the rank's stream is synchronised: MPI knows nothing of
// CUDA streams, so a kernel still writing a send buffer (the ring's previous add) or still
// reading a receive buffer (all-to-all's add from scratch) must be finished first.
//
// Staged path: a send copies the device buffer into a pinned host buffer and sends that; a
// receive lands in a pinned host buffer and is copied to the device when it completes. Pinned
// buffers come from a pool that keeps what it has allocated, so a sweep allocates once. At most
// about what a step has in flight is held: two messages per rank for all-to-all, the ring and a
// worker, and one received plus one sent (staged once for all n receivers) for a server.
#include "device_mpi_transport.hpp"

#include <algorithm>
#include <string>

#include "commsim/baseline.hpp"
#include "commsim/error.hpp"
#include "mpi_baselines.hpp"
#include "transport/device_placement.hpp"
#include "transport/transports.hpp"

namespace commsim {

namespace {

struct DeviceMpiRequest final : RequestState {
  Request inner;
  std::shared_ptr<DeviceMpiTransport::Pinned> host;  // staged path
  void* deviceDestination = nullptr;                 // staged receives
};

// Pinned buffers are made in steps of 64 KiB so that chunks one element apart share them.
constexpr std::size_t kPinnedGranule = std::size_t{64} << 10;

std::string mpiLibrary() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  if (MPI_Get_library_version(text, &len) != MPI_SUCCESS) return "MPI";
  std::string s(text, static_cast<std::size_t>(std::max(len, 0)));
  const auto cut = s.find_first_of(",\n");
  return cut == std::string::npos ? s : s.substr(0, cut);
}

}  // namespace

DeviceMpiTransport::DeviceMpiTransport(MPI_Comm comm, DeviceMemory& memory, MpiDevicePath path)
    : mpi_(comm), memory_(memory), path_(path) {}

DeviceMpiTransport::~DeviceMpiTransport() {
  staged_.clear();
  for (const Pinned& p : pool_) cudaFreeHost(p.ptr);
}

std::string DeviceMpiTransport::detail() const {
  const std::string where = mpiLibrary() + " on device buffers of " + memory_.describe();
  if (path_ == MpiDevicePath::CudaAware)
    return where + ", handed to MPI directly (the MPI library is CUDA-aware)";
  return where + ", staged through pinned host memory (the MPI library is not CUDA-aware)";
}

std::shared_ptr<DeviceMpiTransport::Pinned> DeviceMpiTransport::takePinned(std::size_t bytes) {
  auto best = pool_.end();
  for (auto it = pool_.begin(); it != pool_.end(); ++it)
    if (it->capacity >= bytes && (best == pool_.end() || it->capacity < best->capacity)) best = it;
  Pinned p;
  if (best != pool_.end()) {
    p = *best;
    pool_.erase(best);
  } else {
    p.capacity = std::max<std::size_t>(kPinnedGranule, (bytes + kPinnedGranule - 1) / kPinnedGranule * kPinnedGranule);
    const cudaError_t rc = cudaMallocHost(&p.ptr, p.capacity);
    if (rc != cudaSuccess) {
      (void)cudaGetLastError();
      COMMSIM_ENFORCE(false, "cannot pin " << p.capacity << " bytes of host memory for staging: "
                                           << cudaErrorText(rc));
    }
  }
  return std::shared_ptr<Pinned>(new Pinned(p), [this](Pinned* q) {
    pool_.push_back(*q);
    delete q;
  });
}

Request DeviceMpiTransport::postSend(const void* buf, std::size_t bytes, int peer, int tag) {
  memory_.synchronize();
  auto r = std::make_unique<DeviceMpiRequest>();
  if (path_ == MpiDevicePath::CudaAware || bytes == 0) {
    r->inner = mpi_.isend(buf, bytes, peer, tag);
    return Request(std::move(r));
  }
  for (const StagedSend& s : staged_)
    if (s.source == buf && s.bytes == bytes) r->host = s.host;
  if (!r->host) {
    r->host = takePinned(bytes);
    COMMSIM_CUDA_CHECK(
        cudaMemcpyAsync(r->host->ptr, buf, bytes, cudaMemcpyDeviceToHost, memory_.stream()));
    memory_.synchronize();
    staged_.push_back({buf, bytes, r->host});
  }
  r->inner = mpi_.isend(r->host->ptr, bytes, peer, tag);
  return Request(std::move(r));
}

Request DeviceMpiTransport::postRecv(void* buf, std::size_t bytes, int peer, int tag) {
  memory_.synchronize();
  auto r = std::make_unique<DeviceMpiRequest>();
  if (path_ == MpiDevicePath::CudaAware || bytes == 0) {
    r->inner = mpi_.irecv(buf, bytes, peer, tag);
    return Request(std::move(r));
  }
  r->host = takePinned(bytes);
  r->deviceDestination = buf;
  r->inner = mpi_.irecv(r->host->ptr, bytes, peer, tag);
  return Request(std::move(r));
}

void DeviceMpiTransport::complete(std::span<Request> requests) {
  // One request at a time: every one is posted already, so MPI progresses them all meanwhile, and
  // the inner transport's received-byte count tells each receive's size.
  bool copied = false;
  for (Request& r : requests) {
    if (!r.active()) continue;
    auto* state = static_cast<DeviceMpiRequest*>(r.state());
    const std::uint64_t before = mpi_.counters().bytesReceived;
    mpi_.wait(state->inner);
    if (!state->isReceive) continue;
    state->receivedBytes = mpi_.counters().bytesReceived - before;
    if (state->deviceDestination && state->receivedBytes) {
      COMMSIM_CUDA_CHECK(cudaMemcpyAsync(state->deviceDestination, state->host->ptr,
                                         state->receivedBytes, cudaMemcpyHostToDevice,
                                         memory_.stream()));
      copied = true;
    }
  }
  if (copied) memory_.synchronize();  // before the pinned buffers go back to the pool
  for (Request& r : requests)
    if (r.active()) static_cast<DeviceMpiRequest*>(r.state())->host.reset();
  staged_.clear();
}

BaselineOffer DeviceMpiTransport::libraryAllreduce(const MemorySpace& /*memory*/,
                                                   const Layout& layout) {
  if (path_ == MpiDevicePath::CudaAware) return {makeMpiAllreduce(comm(), rank(), layout), ""};
  return {nullptr, "mpi-allreduce on device buffers needs a CUDA-aware MPI library, and this "
                   "one is not (the paradigms' messages are staged through host memory)"};
}

RankBackend makeDeviceMpiBackend(MPI_Comm comm) {
  DevicePlacement placed = placeOnDevice(comm, "memory: device");
  RankBackend b;
  b.transport = std::make_unique<DeviceMpiTransport>(comm, *placed.memory, detectMpiDevicePath());
  b.ownedMemory = std::move(placed.memory);
  return b;
}

}  // namespace commsim
