// The NCCL transport: point-to-point ncclSend/ncclRecv between the GPUs of an MPI job, with the
// control plane (barrier, agreement, time and counter reduction) over MPI beside it.
#pragma once

#include <nccl.h>

#include <string>
#include <utility>
#include <vector>

#include "memory/device_memory.hpp"
#include "transport/mpi/mpi_transport.hpp"

namespace commsim {

class NcclTransport final : public Transport {
 public:
  // Collective over comm. Rank 0 makes the unique id and MPI broadcasts it; every rank joins on
  // memory's GPU; then every point-to-point connection is made at once (see the .cpp for why).
  NcclTransport(MPI_Comm comm, DeviceMemory& memory);
  ~NcclTransport() override;
  NcclTransport(const NcclTransport&) = delete;
  NcclTransport& operator=(const NcclTransport&) = delete;

  std::string_view name() const override { return "nccl"; }
  int rank() const override { return control_.rank(); }
  int size() const override { return control_.size(); }
  int localRank() const override { return control_.localRank(); }
  int localSize() const override { return control_.localSize(); }
  std::string_view dataPath() const override { return "nccl"; }
  std::string detail() const override;
  BaselineOffer libraryAllreduce(const MemorySpace& memory, const Layout& layout) override;
  void libraryAllreduceSum(const void* send, void* recv, std::uint64_t count, DType dtype) override {
    allReduceSum(send, recv, count, dtype);
  }

  void barrier() override { control_.barrier(); }
  void allreduce(std::span<double> values, ReduceOp op) override { control_.allreduce(values, op); }
  void allreduce(std::span<std::uint64_t> values, ReduceOp op) override {
    control_.allreduce(values, op);
  }
  void allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) override {
    control_.allgather(in, out);
  }
  void gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) override {
    control_.gather(in, out);
  }

  // ncclAllReduce (sum) over `comm` (this transport's communicator when null), complete when it
  // returns.
  void allReduceSum(const void* send, void* recv, std::uint64_t count, DType dtype,
                    ncclComm_t comm = nullptr);
  // A communicator of ranks [0, workers) (ncclCommSplit, collective over every rank; the same
  // one again for the same `workers`), null on the other ranks. It lives as long as the transport.
  ncclComm_t workersComm(int workers);

 protected:
  Request postSend(const void* buf, std::size_t bytes, int peer, int tag) override;
  Request postRecv(void* buf, std::size_t bytes, int peer, int tag) override;
  void complete(std::span<Request> requests) override;

 private:
  void check(ncclResult_t rc, const char* call, const char* file, int line);
  [[noreturn]] void abortAndThrow(const std::string& what, const char* file, int line);
  void openGroup();
  // Waits until the stream has run everything enqueued, watching NCCL's asynchronous error and
  // the timeout; on either the communicator is aborted, so no peer is left waiting on this rank.
  void waitStream(const char* what);
  void connectAllPeers();
  std::vector<ncclComm_t> communicators() const;  // the live ones, to watch for errors

  MpiTransport control_;
  DeviceMemory& memory_;
  ncclComm_t comm_ = nullptr;
  std::vector<std::pair<int, ncclComm_t>> workerComms_;  // by number of workers
  bool groupOpen_ = false;
  double timeoutSeconds_ = 0;
};

}  // namespace commsim
