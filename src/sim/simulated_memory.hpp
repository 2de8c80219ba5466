// Buffers for simulating many ranks on one machine under SimGrid's SMPI (built only into
// commsim-smpi). Every simulated rank's buffers are one shared allocation (SMPI_SHARED_MALLOC), so
// 1024 ranks of 100 MB fit in memory, and SMPI skips copying message payloads between them. Their
// contents mean nothing, so nothing is computed on them: each reduction injects its cost into the
// simulated clock instead of running the loop.
#pragma once

#include "commsim/memory.hpp"

namespace commsim::sim {

// gammaSPerByte: simulated seconds per byte reduced (0: reductions are free, as in the closed
// forms without gamma). add() and sgdStep() each reduce count*s bytes.
class SimulatedMemory final : public MemorySpace {
 public:
  explicit SimulatedMemory(double gammaSPerByte) : gamma_(gammaSPerByte) {}

  std::string_view name() const override { return "simulated"; }
  bool isDevice() const override { return false; }
  void* allocate(std::size_t bytes) override;
  void release(void* ptr) noexcept override;
  // The buffers are shared and their contents meaningless: copies do nothing.
  void copy(void*, const void*, std::size_t) override {}
  void toHost(void*, const void*, std::size_t) override {}
  void fromHost(void*, const void*, std::size_t) override {}
  void add(void* dst, const void* src, std::size_t count, DType t) override;
  void divide(void*, std::size_t, DType, double) override {}
  void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
               double n) override;
  void synchronize() override {}

 private:
  void reduce(std::size_t count, DType t) const;
  double gamma_;
};

}  // namespace commsim::sim
