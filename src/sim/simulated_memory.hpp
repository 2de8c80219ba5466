// Buffers for simulating many ranks on one machine under SimGrid's SMPI (built only into
// commsim-smpi). Every simulated rank's buffers are one shared allocation (SMPI_SHARED_MALLOC), so
// 1024 ranks of 100 MB fit in memory, and SMPI skips copying message payloads between them. Their
// contents mean nothing, so nothing is computed on them: each reduction injects its cost into the
// simulated clock instead of running the loop.
#pragma once

#include <simgrid/forward.h>

#include <utility>
#include <vector>

#include "commsim/memory.hpp"
#include "commsim/topology.hpp"

namespace commsim::sim {

// gammaSPerByte: simulated seconds per byte reduced (0: reductions are free, as in the closed
// forms without gamma). add() and sgdStep() each reduce count*s bytes. copySPerByte: simulated
// seconds per byte of the code's own copies and scalings (copy(), divide()).
//
// memoryHost: where this rank's passes run, shared with the other ranks of its machine
// (simgridPlatform's memory hosts, Topology::memoryParallelism); null: on the rank's own host.
class SimulatedMemory final : public MemorySpace {
 public:
  using Cost = PassCost;
  SimulatedMemory(Cost gamma, Cost copy, Cost sum, sg_host_t memoryHost)
      : gamma_(std::move(gamma)), copy_(std::move(copy)), sum_(std::move(sum)), memoryHost_(memoryHost) {}

  std::string_view name() const override { return "simulated"; }
  bool isDevice() const override { return false; }
  void* allocate(std::size_t bytes) override;
  void release(void* ptr) noexcept override;
  // The buffers are shared and their contents meaningless: copies only take their time.
  void copy(void*, const void*, std::size_t bytes) override { spend(copy_.of(bytes)); }
  void toHost(void*, const void*, std::size_t) override {}
  void fromHost(void*, const void*, std::size_t) override {}
  void add(void* dst, const void* src, std::size_t count, DType t) override;
  // One fused pass, as host and device memory do it: a reduction into a third buffer, no copy.
  void sum(void*, const void*, const void*, std::size_t count, DType t) override {
    spend(sum_.of(count * elementBytes(t)));
  }
  void divide(void*, std::size_t count, DType t, double) override {
    spend(copy_.of(count * elementBytes(t)));
  }
  void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
               double n) override;
  void synchronize() override {}

 private:
  void reduce(std::size_t count, DType t) const;
  void spend(double seconds) const;  // simulated time a pass takes alone
  Cost gamma_;
  Cost copy_;
  Cost sum_;
  sg_host_t memoryHost_;
};

}  // namespace commsim::sim
