// Memory spaces: where gradient buffers live (host or device) and the elementwise work on them.
// Paradigms only use this interface, so the same paradigm code runs on host and device buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "commsim/dtype.hpp"

namespace commsim {

class MemorySpace {
 public:
  virtual ~MemorySpace() = default;

  virtual std::string_view name() const = 0;  // "host", "device"
  virtual bool isDevice() const = 0;

  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* ptr) noexcept = 0;

  // Copies within this space, and between it and ordinary host memory.
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void toHost(void* hostDst, const void* src, std::size_t bytes) = 0;
  virtual void fromHost(void* dst, const void* hostSrc, std::size_t bytes) = 0;

  // dst[i] += src[i] for i < count.
  virtual void add(void* dst, const void* src, std::size_t count, DType t) = 0;
  // dst[i] = a[i] + b[i]: an add that also moves, so a step need not first copy its gradient
  // into its result buffer (a whole p*s of memory traffic). dst may be a, never part of b.
  // This default copies, then adds; a space overrides it with one pass.
  virtual void sum(void* dst, const void* a, const void* b, std::size_t count, DType t) {
    if (dst != a) copy(dst, a, count * elementBytes(t));
    add(dst, b, count, t);
  }
  // dst[i] /= divisor. A division (not a multiplication by 1/divisor) so an exact sum gives an
  // exactly rounded mean.
  virtual void divide(void* dst, std::size_t count, DType t, double divisor) = 0;
  // w[i] -= lr * (gsum[i] / n): the SGD step on a sum of n gradients.
  virtual void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
                       double n) = 0;

  // Waits until all work issued to this space has finished (a no-op on the host).
  virtual void synchronize() = 0;

  // Modelled compute (commsim train): keeps this space's processors busy for `seconds` from now
  // and returns at once, so the host stays free to drive communication, as an accelerator's host
  // is. A GPU runs a kernel that spins on its clock, on a compute stream of its own, beside the
  // transport's work; elsewhere nothing runs (the host's compute is emulated by waiting).
  virtual void occupy(double seconds) { (void)seconds; }
  // Waits until what occupy() started has ended.
  virtual void finishOccupying() {}

  // Bytes this rank may still allocate here, its share where ranks share the memory (a GPU);
  // 0 when unknown. Host memory is checked per host by the harness instead.
  virtual std::uint64_t availableBytes() const { return 0; }
};

// The process-wide host memory space.
MemorySpace& hostMemory();

// An owning buffer in a memory space.
class Buffer {
 public:
  Buffer() = default;
  Buffer(MemorySpace& space, std::size_t bytes)
      : space_(&space), bytes_(bytes), ptr_(bytes ? space.allocate(bytes) : nullptr) {}
  ~Buffer() { reset(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      space_ = o.space_;
      bytes_ = o.bytes_;
      ptr_ = o.ptr_;
      o.ptr_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }

  void* data() const { return ptr_; }
  std::byte* bytes() const { return static_cast<std::byte*>(ptr_); }
  std::size_t size() const { return bytes_; }
  MemorySpace& space() const { return *space_; }

 private:
  void reset() noexcept {
    if (ptr_) space_->release(ptr_);
    ptr_ = nullptr;
  }
  MemorySpace* space_ = nullptr;
  std::size_t bytes_ = 0;
  void* ptr_ = nullptr;
};

}  // namespace commsim
