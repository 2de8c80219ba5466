// MPI on device buffers: handed to MPI directly when the library is CUDA-aware, otherwise staged
// through pinned host buffers. Either way one message is one MPI_Isend, counted once, here.
#pragma once

#include <memory>
#include <vector>

#include "memory/device_memory.hpp"
#include "transport/gpu.hpp"
#include "transport/mpi/mpi_transport.hpp"

namespace commsim {

class DeviceMpiTransport final : public Transport {
 public:
  DeviceMpiTransport(MPI_Comm comm, DeviceMemory& memory, MpiDevicePath path);
  ~DeviceMpiTransport() override;
  DeviceMpiTransport(const DeviceMpiTransport&) = delete;
  DeviceMpiTransport& operator=(const DeviceMpiTransport&) = delete;

  std::string_view name() const override { return "mpi"; }
  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }
  int localRank() const override { return mpi_.localRank(); }
  int localSize() const override { return mpi_.localSize(); }
  std::string_view dataPath() const override { return mpiDevicePathName(path_); }
  std::string detail() const override;
  MPI_Comm comm() const { return mpi_.comm(); }
  MpiDevicePath path() const { return path_; }
  // On a CUDA-aware library only: a staged one cannot take device buffers in MPI_Allreduce.
  BaselineOffer libraryAllreduce(const MemorySpace& memory, const Layout& layout) override;

  void barrier() override { mpi_.barrier(); }
  void allreduce(std::span<double> values, ReduceOp op) override { mpi_.allreduce(values, op); }
  void allreduce(std::span<std::uint64_t> values, ReduceOp op) override {
    mpi_.allreduce(values, op);
  }
  void allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) override {
    mpi_.allgather(in, out);
  }
  void gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) override {
    mpi_.gather(in, out);
  }

  // A pinned host buffer of at least `bytes`, back in the pool when the last holder lets go.
  struct Pinned {
    void* ptr = nullptr;
    std::size_t capacity = 0;
  };
  std::shared_ptr<Pinned> takePinned(std::size_t bytes);

 protected:
  Request postSend(const void* buf, std::size_t bytes, int peer, int tag) override;
  Request postRecv(void* buf, std::size_t bytes, int peer, int tag) override;
  void complete(std::span<Request> requests) override;

 private:
  // The inner transport's own counters are not used: this transport counts, once, in isend.
  MpiTransport mpi_;
  DeviceMemory& memory_;
  MpiDevicePath path_;
  std::vector<Pinned> pool_;
  // Sends staged since the last wait, by source: the parameter server sends one buffer to n
  // workers, and it is copied to the host once, not n times.
  struct StagedSend {
    const void* source;
    std::size_t bytes;
    std::shared_ptr<Pinned> host;
  };
  std::vector<StagedSend> staged_;
};

}  // namespace commsim
