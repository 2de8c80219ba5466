// The MPI transport: point-to-point MPI on a duplicate of a communicator, every call checked.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "commsim/transport.hpp"

namespace commsim {

// Throws commsim::Error with file:line, the call and MPI's error string unless rc == MPI_SUCCESS.
void checkMpi(int rc, const char* call, const char* file, int line);
#define COMMSIM_MPI_CHECK(call) ::commsim::checkMpi((call), #call, __FILE__, __LINE__)

class MpiTransport final : public Transport {
 public:
  // Duplicates `comm` (errors return instead of aborting, so every code is checked).
  explicit MpiTransport(MPI_Comm comm);
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  std::string_view name() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localRank() const override { return localRank_; }
  int localSize() const override { return localSize_; }
  MPI_Comm comm() const { return comm_; }
  BaselineOffer libraryAllreduce(const MemorySpace& memory, const Layout& layout) override;

  double now() const override { return MPI_Wtime(); }
  void barrier() override;
  void allreduce(std::span<double> values, ReduceOp op) override;
  void allreduce(std::span<std::uint64_t> values, ReduceOp op) override;
  void allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) override;
  void gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) override;
#ifdef COMMSIM_SMPI
  bool sharedClock() const override { return true; }  // every simulated rank reads SimGrid's clock
  void compute(double seconds) override;
#endif

 protected:
  Request postSend(const void* buf, std::size_t bytes, int peer, int tag) override;
  Request postRecv(void* buf, std::size_t bytes, int peer, int tag) override;
  void complete(std::span<Request> requests) override;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
  int localRank_ = 0;
  int localSize_ = 1;
  std::vector<MPI_Request> waitHandles_;  // scratch of complete()
  std::vector<MPI_Status> waitStatuses_;
};

// MPI_Init_thread / MPI_Finalize for the lifetime of the object (no-op if MPI is already up).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_ = false;
};

}  // namespace commsim
