// Device memory and the CUDA error checks, for the sources that talk to CUDA directly (the NCCL
// and MPI device transports). Only compiled in a CUDA build.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "commsim/memory.hpp"

namespace commsim {

// Throws commsim::Error with file:line, the call, and CUDA's error name and text unless
// rc == cudaSuccess.
void checkCuda(cudaError_t rc, const char* call, const char* file, int line);
#define COMMSIM_CUDA_CHECK(call) ::commsim::checkCuda((call), #call, __FILE__, __LINE__)

std::string cudaErrorText(cudaError_t rc);  // "cudaErrorNoDevice: no CUDA-capable device ..."

class DeviceMemory final : public MemorySpace {
 public:
  explicit DeviceMemory(int device);
  ~DeviceMemory() override;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  std::string_view name() const override { return "device"; }
  bool isDevice() const override { return true; }

  void* allocate(std::size_t bytes) override;
  void release(void* ptr) noexcept override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void toHost(void* hostDst, const void* src, std::size_t bytes) override;
  void fromHost(void* dst, const void* hostSrc, std::size_t bytes) override;
  void add(void* dst, const void* src, std::size_t count, DType t) override;
  void sum(void* dst, const void* a, const void* b, std::size_t count, DType t) override;
  void divide(void* dst, std::size_t count, DType t, double divisor) override;
  void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
               double n) override;
  void synchronize() override;
  void occupy(double seconds) override;
  void finishOccupying() override;
  std::uint64_t availableBytes() const override;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  // "GPU 0 (NVIDIA H100 80GB HBM3, 0000:18:00.0)"
  std::string describe() const;
  // A number naming the physical GPU (PCI domain, bus, device), equal for ranks that share it.
  std::uint64_t pciId() const { return pciId_; }
  // How many ranks of this host use the same GPU; their memory is shared out between them.
  void setSharers(int ranks) { sharers_ = ranks < 1 ? 1 : ranks; }

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cudaStream_t computeStream_ = nullptr;  // occupy()'s: modelled compute beside communication
  int multiprocessors_ = 1;
  std::uint64_t pciId_ = 0;
  std::string description_;
  int sharers_ = 1;
};

}  // namespace commsim
