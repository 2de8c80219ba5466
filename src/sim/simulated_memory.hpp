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
#include "commsim/byte_ranges.hpp"
#include "commsim/schedule.hpp"
#include "commsim/topology.hpp"
#include "commsim/transport.hpp"

namespace commsim::sim {

// Every pass and message is priced as the cost model records it (MemoryCosts, schedule.hpp): a
// reduction in place (add()) by `reduce`, the SGD step by `sgd`, a sum into a third buffer by
// `sum`, a copy by `local`, the division in place by `scale`, each by the pass's size; what a pass
// (or this rank's copy of a receive) writes that a peer has read since by `writeAfterSend` (the
// memory learns what was sent as the transport's BufferWatch); a send to a rank of this machine
// by its bytes' state (`sendWritten`, `sendUnwritten`: spent by the sender before it sends, where
// the model has the receiver work it after its wait); a receive from one by `receiveWork`, after
// the wait. Ranks r and q share a machine when r / ranksPerHost == q / ranksPerHost (0: none do).
//
// memoryHost: where this rank's passes run, shared with the other ranks of its machine
// (simgridPlatform's memory hosts, Topology::memoryParallelism); null: on the rank's own host.
class SimulatedMemory final : public MemorySpace, public Transport::BufferWatch {
 public:
  SimulatedMemory(MemoryCosts costs, sg_host_t memoryHost, int rank)
      : costs_(std::move(costs)), memoryHost_(memoryHost), rank_(rank), lines_(costs_.statefulSends()) {}

  std::string_view name() const override { return "simulated"; }
  bool isDevice() const override { return false; }
  void* allocate(std::size_t bytes) override;
  void release(void* ptr) noexcept override;
  // The buffers are shared and their contents meaningless: copies only take their time.
  void copy(void* dst, const void*, std::size_t bytes) override { pass(costs_.local, dst, bytes); }
  void toHost(void*, const void*, std::size_t) override {}
  void fromHost(void*, const void*, std::size_t) override {}
  void add(void* dst, const void*, std::size_t count, DType t) override {
    pass(costs_.reduce, dst, count * elementBytes(t));
  }
  // One fused pass, as host and device memory do it: a reduction into a third buffer, no copy.
  void sum(void* dst, const void*, const void*, std::size_t count, DType t) override {
    pass(costs_.sum, dst, count * elementBytes(t));
  }
  void divide(void* dst, std::size_t count, DType t, double) override {
    pass(costs_.scale, dst, count * elementBytes(t));
  }
  void sgdStep(void* w, const void*, std::size_t count, DType t, double, double) override {
    pass(costs_.sgd, w, count * elementBytes(t));
  }
  void synchronize() override {}

  void sending(const void* buf, std::size_t bytes, int peer) override {
    spend(lines_.send(buf, bytes, sameHost(peer), costs_.sendWritten, costs_.sendUnwritten));
  }
  void receiving(void* buf, std::size_t bytes) override {
    spend(lines_.write(buf, bytes, costs_.writeAfterSend));
  }
  void received(int peer, std::size_t bytes) override {
    if (costs_.receiveWork.any() && sameHost(peer)) spend(costs_.receiveWork.of(bytes));
  }

 private:
  // A pass of `bytes` writing from `dst`: its cost and the surcharge on what peers have read.
  void pass(const PassCost& cost, void* dst, std::size_t bytes) {
    spend(cost.of(bytes) + lines_.write(dst, bytes, costs_.writeAfterSend));
  }
  void spend(double seconds) const;  // simulated time a pass takes alone
  bool sameHost(int peer) const {
    return costs_.ranksPerHost > 0 && peer / costs_.ranksPerHost == rank_ / costs_.ranksPerHost;
  }
  MemoryCosts costs_;
  sg_host_t memoryHost_;
  int rank_;
  LineStates lines_;
};

}  // namespace commsim::sim
