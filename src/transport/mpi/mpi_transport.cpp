// Point-to-point MPI. One message is one MPI_Isend. Messages beyond INT_MAX bytes use a derived
// datatype, so they stay one message; under SimGrid's SMPI, which keeps a message's size in an
// int, they go as consecutive pieces of 1 GiB instead (below), still one message to the counts.
#include "transport/mpi/mpi_transport.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "commsim/error.hpp"

#ifdef COMMSIM_SMPI
#include <smpi/smpi.h>
#endif

namespace commsim {

void checkMpi(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  detail::throwError(file, line, std::string(call) + " failed: " + std::string(text, len));
}

namespace {

struct MpiRequest final : RequestState {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Datatype type = MPI_DATATYPE_NULL;  // a derived type to free, for large messages
  std::size_t postedBytes = 0;
  std::vector<MPI_Request> pieces;        // SMPI: the pieces after the first of a large message
  ~MpiRequest() override {
    // Only on an error path.
    if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
    for (MPI_Request& piece : pieces)
      if (piece != MPI_REQUEST_NULL) MPI_Request_free(&piece);
    if (type != MPI_DATATYPE_NULL) MPI_Type_free(&type);
  }
};

#ifdef COMMSIM_SMPI
constexpr std::size_t kSmpiPiece = std::size_t{1} << 30;

// SMPI: a message of `bytes` as consecutive MPI messages of at most 1 GiB to one peer and tag
// (MPI matches them in the order posted). They start together and share the route's bandwidth,
// so the simulated time is the whole message's but for a few nanoseconds.
// post(at, n, request) posts the n bytes from offset at.
template <typename Post>
void postPieces(MpiRequest& r, std::size_t bytes, const Post& post) {
  for (std::size_t at = 0; at == 0 || at < bytes; at += kSmpiPiece) {
    const int n = static_cast<int>(std::min(kSmpiPiece, bytes - at));
    post(at, n, at == 0 ? &r.request : &r.pieces.emplace_back(MPI_REQUEST_NULL));
  }
}
#endif

#ifndef COMMSIM_SMPI
// The (count, datatype) pair describing `bytes` contiguous bytes as one message.
struct Wire {
  int count;
  MPI_Datatype type;
  bool derived;
};

Wire wireFor(std::size_t bytes) {
  if (bytes <= static_cast<std::size_t>(INT_MAX)) return {static_cast<int>(bytes), MPI_BYTE, false};
  // Blocks of 1 GiB plus a tail, glued into one struct type.
  constexpr std::size_t kBlock = std::size_t{1} << 30;
  const auto blocks = static_cast<int>(bytes / kBlock);
  const auto tail = static_cast<int>(bytes % kBlock);
  MPI_Datatype block = MPI_DATATYPE_NULL;
  COMMSIM_MPI_CHECK(MPI_Type_contiguous(static_cast<int>(kBlock), MPI_BYTE, &block));
  int lengths[2] = {blocks, tail};
  MPI_Aint displs[2] = {0, static_cast<MPI_Aint>(static_cast<std::size_t>(blocks) * kBlock)};
  MPI_Datatype types[2] = {block, MPI_BYTE};
  MPI_Datatype whole = MPI_DATATYPE_NULL;
  COMMSIM_MPI_CHECK(MPI_Type_create_struct(tail ? 2 : 1, lengths, displs, types, &whole));
  COMMSIM_MPI_CHECK(MPI_Type_commit(&whole));
  COMMSIM_MPI_CHECK(MPI_Type_free(&block));
  return {1, whole, true};
}
#endif

// Payload bytes a completed receive got.
std::uint64_t receivedBytes(const MPI_Status& status, const MpiRequest& r) {
#ifdef COMMSIM_SMPI
  // SimGrid's SMPI has no MPI_Get_elements_x; every piece it is given is bytes, at most 1 GiB.
  MPI_Status copy = status;
  int n = 0;
  COMMSIM_MPI_CHECK(MPI_Get_count(&copy, MPI_BYTE, &n));
  COMMSIM_ENFORCE(n != MPI_UNDEFINED, "receive of " << r.postedBytes << " bytes got a partial message");
  return static_cast<std::uint64_t>(n);
#else
  (void)r;
  MPI_Count bytes = 0;
  COMMSIM_MPI_CHECK(MPI_Get_elements_x(&status, MPI_BYTE, &bytes));
  return static_cast<std::uint64_t>(bytes);
#endif
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return MPI_SUM;
    case ReduceOp::Min: return MPI_MIN;
    case ReduceOp::Max: return MPI_MAX;
  }
  return MPI_SUM;
}

}  // namespace

MpiTransport::MpiTransport(MPI_Comm comm) {
  COMMSIM_MPI_CHECK(MPI_Comm_dup(comm, &comm_));
  COMMSIM_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  COMMSIM_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  COMMSIM_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  MPI_Comm host = MPI_COMM_NULL;
  COMMSIM_MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host));
  COMMSIM_MPI_CHECK(MPI_Comm_rank(host, &localRank_));
  COMMSIM_MPI_CHECK(MPI_Comm_size(host, &localSize_));
  COMMSIM_MPI_CHECK(MPI_Comm_free(&host));
}

MpiTransport::~MpiTransport() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiTransport::barrier() { COMMSIM_MPI_CHECK(MPI_Barrier(comm_)); }

void MpiTransport::allreduce(std::span<double> values, ReduceOp op) {
  COMMSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                  MPI_DOUBLE, mpiOp(op), comm_));
}

void MpiTransport::allreduce(std::span<std::uint64_t> values, ReduceOp op) {
  COMMSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                  MPI_UINT64_T, mpiOp(op), comm_));
}

void MpiTransport::allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) {
  COMMSIM_ENFORCE_EQ(out.size(), in.size() * static_cast<std::size_t>(size_), "allgather output size");
  COMMSIM_MPI_CHECK(MPI_Allgather(in.data(), static_cast<int>(in.size()), MPI_UINT64_T, out.data(),
                                  static_cast<int>(in.size()), MPI_UINT64_T, comm_));
}

void MpiTransport::gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) {
  out.clear();
  COMMSIM_ENFORCE(in.size() <= static_cast<std::size_t>(INT_MAX),
                  in.size() << " words are too many for one MPI_Gatherv");
  const int mine = static_cast<int>(in.size());
  std::vector<int> counts(rank_ == 0 ? static_cast<std::size_t>(size_) : 0);
  COMMSIM_MPI_CHECK(MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_));
  std::vector<int> displs(counts.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    COMMSIM_ENFORCE(total <= static_cast<std::size_t>(INT_MAX),
                    "gathering more than INT_MAX words at rank " << r);
    displs[r] = static_cast<int>(total);
    total += static_cast<std::size_t>(counts[r]);
  }
  out.resize(total);
  COMMSIM_MPI_CHECK(MPI_Gatherv(in.data(), mine, MPI_UINT64_T, out.data(), counts.data(),
                                displs.data(), MPI_UINT64_T, 0, comm_));
}

Request MpiTransport::postSend(const void* buf, std::size_t bytes, int peer, int tag) {
  auto r = std::make_unique<MpiRequest>();
#ifdef COMMSIM_SMPI
  postPieces(*r, bytes, [&](std::size_t at, int n, MPI_Request* request) {
    COMMSIM_MPI_CHECK(MPI_Isend(static_cast<const std::byte*>(buf) + at, n, MPI_BYTE, peer, tag,
                                comm_, request));
  });
#else
  const Wire w = wireFor(bytes);
  if (w.derived) r->type = w.type;
  COMMSIM_MPI_CHECK(MPI_Isend(buf, w.count, w.type, peer, tag, comm_, &r->request));
#endif
  return Request(std::move(r));
}

Request MpiTransport::postRecv(void* buf, std::size_t bytes, int peer, int tag) {
  auto r = std::make_unique<MpiRequest>();
  r->postedBytes = bytes;
#ifdef COMMSIM_SMPI
  postPieces(*r, bytes, [&](std::size_t at, int n, MPI_Request* request) {
    COMMSIM_MPI_CHECK(MPI_Irecv(static_cast<std::byte*>(buf) + at, n, MPI_BYTE, peer, tag, comm_,
                                request));
  });
#else
  const Wire w = wireFor(bytes);
  if (w.derived) r->type = w.type;
  COMMSIM_MPI_CHECK(MPI_Irecv(buf, w.count, w.type, peer, tag, comm_, &r->request));
#endif
  return Request(std::move(r));
}

void MpiTransport::complete(std::span<Request> requests) {
  // Reused across steps: a wait on this rank's thread allocates nothing once they have grown.
  std::vector<MPI_Request>& handles = waitHandles_;
  std::vector<MPI_Status>& statuses = waitStatuses_;
  handles.clear();
  for (Request& r : requests) {
    if (!r.active()) continue;
    const auto* state = static_cast<const MpiRequest*>(r.state());
    handles.push_back(state->request);
    handles.insert(handles.end(), state->pieces.begin(), state->pieces.end());
  }
  statuses.resize(handles.size());
  const int rc = MPI_Waitall(static_cast<int>(handles.size()), handles.data(), statuses.data());
  std::size_t k = 0;
  for (Request& r : requests) {
    if (!r.active()) continue;
    auto* state = static_cast<MpiRequest*>(r.state());
    std::uint64_t received = 0;
    for (std::size_t i = 0; i <= state->pieces.size(); ++i, ++k) {
      // MPI_REQUEST_NULL once completed.
      (i == 0 ? state->request : state->pieces[i - 1]) = handles[k];
      if (rc == MPI_ERR_IN_STATUS) COMMSIM_MPI_CHECK(statuses[k].MPI_ERROR);
      if (state->isReceive && rc == MPI_SUCCESS) received += receivedBytes(statuses[k], *state);
    }
    if (state->isReceive && rc == MPI_SUCCESS) state->receivedBytes = received;
  }
  COMMSIM_MPI_CHECK(rc);
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialised = 0;
  COMMSIM_MPI_CHECK(MPI_Initialized(&initialised));
  if (initialised) return;
  int provided = 0;
  COMMSIM_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided));
  owns_ = true;
}

MpiSession::~MpiSession() {
  int finalised = 0;
  if (owns_ && MPI_Finalized(&finalised) == MPI_SUCCESS && !finalised) MPI_Finalize();
}

#ifdef COMMSIM_SMPI
void MpiTransport::compute(double seconds) { smpi_execute(seconds); }
#endif

}  // namespace commsim
