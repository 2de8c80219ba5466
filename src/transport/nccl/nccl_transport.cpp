// Point-to-point NCCL. One message is one ncclSend. The paradigms post the sends and receives of
// one step and then wait for them all; here the first post of a step opens an NCCL group
// (ncclGroupStart), the wait closes it (ncclGroupEnd) and waits for the rank's stream, so the
// operations of one step are one group and progress together, as NCCL requires of operations that
// depend on each other ("If multiple ncclSend and ncclRecv operations need to progress
// concurrently to complete, they must be fused within a ncclGroupStart/ncclGroupEnd section").
//
// Why every algorithm's pattern completes: the transport contract (commsim/transport.hpp) asks
// each wait's partners to be posted without that wait completing first, and recordSchedule checks
// it for every algorithm and n (tests/model_test.cpp). The parameter server, for one, groups a
// worker's push and its pull apart: fused operations are not promised to progress independently
// when the peer posts its side in other groups, and the server receives one worker at a time.
// One trap remains in NCCL itself: it makes point-to-point connections lazily, inside
// ncclGroupEnd, exchanging connection data with each peer in both directions a group names. A peer
// whose side of a connection is offered only in a later group can then stall the first step. So
// the constructor connects every pair of ranks once, in one group of one-byte exchanges, before
// any step (NCCL keeps connections for the communicator's life; each costs a few MB of GPU memory
// per peer).
//
// NCCL has no tags. Messages between one pair of ranks in one direction are matched in posting
// order, which the contract makes every algorithm keep, so the tags they pass are not needed here.
//
// Zero-byte messages (p < n ring chunks) are counted by Transport::isend like any other but
// not handed to NCCL: both sides know the size, so both skip the call, and a receive of 0 bytes
// completes with 0 bytes. NCCL needs the same size on both sides; a receive's byte count is the
// size it was posted with.
#include "nccl_transport.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "commsim/error.hpp"
#include "core/size_parse.hpp"
#include "transport/device_placement.hpp"
#include "transport/transports.hpp"

#define COMMSIM_NCCL_CHECK(call) check((call), #call, __FILE__, __LINE__)

namespace commsim {

namespace {

struct NcclRequest final : RequestState {
  std::size_t bytes = 0;
};

ncclDataType_t ncclType(DType t) {
  switch (t) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Float16: return ncclFloat16;
    case DType::BFloat16: return ncclBfloat16;
  }
  return ncclFloat32;
}

constexpr double kDefaultTimeoutSeconds = 300;

double timeoutFromEnvironment() {
  const char* v = std::getenv("COMMSIM_NCCL_TIMEOUT");
  if (!v || !*v) return kDefaultTimeoutSeconds;
  const auto seconds = parseSize(v, "COMMSIM_NCCL_TIMEOUT (seconds)");
  if (seconds == 0) throw UsageError("COMMSIM_NCCL_TIMEOUT: 0 is not allowed (seconds, at least 1)");
  return static_cast<double>(seconds);
}

std::string versionText() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "NCCL";
  // NCCL_VERSION(X,Y,Z) = X*10000 + Y*100 + Z since 2.9.
  std::ostringstream os;
  os << "NCCL " << v / 10000 << '.' << (v / 100) % 100 << '.' << v % 100;
  return os.str();
}

}  // namespace

NcclTransport::NcclTransport(MPI_Comm comm, DeviceMemory& memory)
    : control_(comm), memory_(memory), timeoutSeconds_(timeoutFromEnvironment()) {
  // Rank 0's unique id and whether it could make one travel together, so a failure there is an
  // error on every rank instead of a hang in ncclCommInitRank.
  struct Bootstrap {
    int ok = 0;
    char why[240] = {};
    ncclUniqueId id{};
  } boot;
  if (control_.rank() == 0) {
    const ncclResult_t rc = ncclGetUniqueId(&boot.id);
    boot.ok = rc == ncclSuccess;
    if (!boot.ok) std::snprintf(boot.why, sizeof boot.why, "%s", ncclGetErrorString(rc));
  }
  COMMSIM_MPI_CHECK(MPI_Bcast(&boot, static_cast<int>(sizeof boot), MPI_BYTE, 0, control_.comm()));
  if (!boot.ok)
    COMMSIM_ENFORCE(false, "rank 0 could not make the NCCL unique id: " << boot.why);

  COMMSIM_CUDA_CHECK(cudaSetDevice(memory_.device()));
  const ncclResult_t rc = ncclCommInitRank(&comm_, control_.size(), boot.id, control_.rank());
  if (rc != ncclSuccess) {
    std::string what = std::string("ncclCommInitRank failed on ") + memory_.describe() + ": " +
                       ncclGetErrorString(rc);
    if (comm_) {
      what += std::string(" (") + ncclGetLastError(comm_) + ")";
      ncclCommAbort(comm_);
      comm_ = nullptr;
    }
    ::commsim::detail::throwError(__FILE__, __LINE__, what);
  }
  try {
    connectAllPeers();
  } catch (...) {
    if (comm_) ncclCommAbort(comm_);  // the destructor does not run for a half-made object
    throw;
  }
}

NcclTransport::~NcclTransport() {
  if (!comm_) return;
  if (groupOpen_) (void)ncclGroupEnd();
  // While an exception unwinds, peers may be anywhere: leave without waiting for them.
  const bool unwinding = std::uncaught_exceptions() > 0;
  auto end = [unwinding](ncclComm_t c) {
    if (!c) return;
    if (unwinding || ncclCommFinalize(c) != ncclSuccess || ncclCommDestroy(c) != ncclSuccess)
      ncclCommAbort(c);
  };
  for (auto& [workers, c] : workerComms_) end(c);
  end(comm_);
}

std::string NcclTransport::detail() const {
  return versionText() + " point-to-point on " + memory_.describe() + ", one group per step";
}

void NcclTransport::check(ncclResult_t rc, const char* call, const char* file, int line) {
  if (rc == ncclSuccess) return;
  std::string what = std::string(call) + " failed: " + ncclGetErrorString(rc);
  if (comm_) {
    const char* last = ncclGetLastError(comm_);
    if (last && *last) what += std::string(" (") + last + ")";
  }
  abortAndThrow(what, file, line);
}

void NcclTransport::abortAndThrow(const std::string& what, const char* file, int line) {
  if (groupOpen_) {
    groupOpen_ = false;
    (void)ncclGroupEnd();  // an operation of the group failed, so NCCL launches nothing
  }
  for (auto& [workers, c] : workerComms_) {
    if (c) ncclCommAbort(c);
    c = nullptr;
  }
  if (comm_) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
  }
  ::commsim::detail::throwError(file, line, "NCCL, rank " + std::to_string(rank()) + " on " +
                                     memory_.describe() + ": " + what +
                                     "; the communicator was aborted");
}

void NcclTransport::openGroup() {
  COMMSIM_ENFORCE(comm_ != nullptr, "the NCCL communicator was aborted after an earlier error");
  if (groupOpen_) return;
  COMMSIM_NCCL_CHECK(ncclGroupStart());
  groupOpen_ = true;
}

void NcclTransport::waitStream(const char* what) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(timeoutSeconds_));
  for (;;) {
    const cudaError_t rc = cudaStreamQuery(memory_.stream());
    if (rc == cudaSuccess) return;
    if (rc != cudaErrorNotReady) abortAndThrow(std::string(what) + ": " + cudaErrorText(rc), __FILE__, __LINE__);
    for (const ncclComm_t c : communicators()) {
      ncclResult_t async = ncclSuccess;
      COMMSIM_NCCL_CHECK(ncclCommGetAsyncError(c, &async));
      if (async != ncclSuccess && async != ncclInProgress) check(async, what, __FILE__, __LINE__);
    }
    if (Clock::now() > deadline) {
      std::ostringstream os;
      os << what << " did not finish within " << timeoutSeconds_
         << " s (COMMSIM_NCCL_TIMEOUT): a peer has failed, or the ranks posted operations that "
            "do not match";
      abortAndThrow(os.str(), __FILE__, __LINE__);
    }
    std::this_thread::yield();
  }
}

void NcclTransport::connectAllPeers() {
  const int n = size();
  if (n < 2) return;
  // One byte to send, and one landing byte per peer.
  Buffer scratch(memory_, 1 + static_cast<std::size_t>(n));
  COMMSIM_CUDA_CHECK(cudaMemsetAsync(scratch.data(), 0, scratch.size(), memory_.stream()));
  openGroup();
  for (int peer = 0; peer < n; ++peer) {
    if (peer == rank()) continue;
    COMMSIM_NCCL_CHECK(ncclSend(scratch.bytes(), 1, ncclUint8, peer, comm_, memory_.stream()));
    COMMSIM_NCCL_CHECK(
        ncclRecv(scratch.bytes() + 1 + peer, 1, ncclUint8, peer, comm_, memory_.stream()));
  }
  groupOpen_ = false;
  COMMSIM_NCCL_CHECK(ncclGroupEnd());
  waitStream("connecting every pair of ranks");
}

Request NcclTransport::postSend(const void* buf, std::size_t bytes, int peer, int /*tag*/) {
  auto r = std::make_unique<NcclRequest>();
  r->bytes = bytes;
  openGroup();
  if (bytes) COMMSIM_NCCL_CHECK(ncclSend(buf, bytes, ncclUint8, peer, comm_, memory_.stream()));
  return Request(std::move(r));
}

Request NcclTransport::postRecv(void* buf, std::size_t bytes, int peer, int /*tag*/) {
  auto r = std::make_unique<NcclRequest>();
  r->bytes = bytes;
  openGroup();
  if (bytes) COMMSIM_NCCL_CHECK(ncclRecv(buf, bytes, ncclUint8, peer, comm_, memory_.stream()));
  return Request(std::move(r));
}

void NcclTransport::complete(std::span<Request> requests) {
  // Closing the group completes every operation posted since it opened, those of this list and
  // any posted earlier and not yet waited for; all of them are done when the stream is.
  if (groupOpen_) {
    groupOpen_ = false;
    COMMSIM_NCCL_CHECK(ncclGroupEnd());
  }
  COMMSIM_ENFORCE(comm_ != nullptr, "the NCCL communicator was aborted after an earlier error");
  waitStream("a step's sends and receives");
  for (Request& r : requests) {
    if (!r.active()) continue;
    auto* state = static_cast<NcclRequest*>(r.state());
    if (state->isReceive) state->receivedBytes = state->bytes;
  }
}

std::vector<ncclComm_t> NcclTransport::communicators() const {
  std::vector<ncclComm_t> all;
  if (comm_) all.push_back(comm_);
  for (const auto& [workers, c] : workerComms_)
    if (c) all.push_back(c);
  return all;
}

ncclComm_t NcclTransport::workersComm(int workers) {
  COMMSIM_ENFORCE(comm_ != nullptr, "the NCCL communicator was aborted after an earlier error");
  COMMSIM_ENFORCE(workers >= 1 && workers <= size(), "workers " << workers << " of " << size());
  if (workers == size()) return comm_;
  for (const auto& [n, c] : workerComms_)
    if (n == workers) return c;
  ncclComm_t sub = nullptr;
  const int color = rank() < workers ? 0 : NCCL_SPLIT_NOCOLOR;
  COMMSIM_NCCL_CHECK(ncclCommSplit(comm_, color, rank(), &sub, nullptr));
  workerComms_.emplace_back(workers, sub);
  return sub;
}

void NcclTransport::allReduceSum(const void* send, void* recv, std::uint64_t count, DType dtype,
                                 ncclComm_t comm) {
  COMMSIM_ENFORCE(!groupOpen_, "ncclAllReduce inside an open point-to-point group");
  COMMSIM_ENFORCE(comm_ != nullptr, "the NCCL communicator was aborted after an earlier error");
  if (count == 0) return;
  COMMSIM_NCCL_CHECK(ncclAllReduce(send, recv, count, ncclType(dtype), ncclSum,
                                   comm ? comm : comm_, memory_.stream()));
  waitStream("ncclAllReduce");
}

RankBackend makeNcclBackend(MPI_Comm comm, std::string_view /*memory: device only*/) {
  DevicePlacement placed = placeOnDevice(comm, "backend: nccl");
  const auto most = maxOverRanks(comm, static_cast<std::uint64_t>(placed.sharers));
  if (most > 1)
    throw UsageError(
        "backend: nccl needs one GPU per rank, but " + std::to_string(most) +
        " ranks of one host share a GPU (rank " + std::to_string(placed.rank) + " sees " +
        std::to_string(placed.devices) + " GPU(s) for the " + std::to_string(placed.localSize) +
        " rank(s) of its host); start at most one rank per GPU, or give each rank its own "
        "(CUDA_VISIBLE_DEVICES, srun --gpus-per-task=1)");
  RankBackend b;
  b.transport = std::make_unique<NcclTransport>(comm, *placed.memory);
  b.ownedMemory = std::move(placed.memory);
  return b;
}

}  // namespace commsim
