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
#include "commsim/topology.hpp"
#include "commsim/transport.hpp"

namespace commsim::sim {

// gammaSPerByte: simulated seconds per byte reduced (0: reductions are free, as in the closed
// forms without gamma). add() and sgdStep() each reduce count*s bytes. copy: simulated seconds per
// byte of the code's own copies (copy()); scale: of its scalings in place (divide()).
//
// memoryHost: where this rank's passes run, shared with the other ranks of its machine
// (simgridPlatform's memory hosts, Topology::memoryParallelism); null: on the rank's own host.
//
// afterSend: added per byte a pass (or this rank's copy of a receive) writes that a peer has read
// since (Topology::writeAfterSend); the memory learns what was sent as the transport's BufferWatch.
//
// chargeReceives: each message received from a rank of this one's machine costs the rank that
// work after its wait, on the memory host where there is one (Topology::receiveWork).
class SimulatedMemory final : public MemorySpace, public Transport::BufferWatch {
 public:
  using Cost = PassCost;
  SimulatedMemory(Cost gamma, Cost copy, Cost sum, Cost scale, Cost afterSend, sg_host_t memoryHost)
      : gamma_(std::move(gamma)), copy_(std::move(copy)), sum_(std::move(sum)),
        scale_(std::move(scale)), afterSend_(std::move(afterSend)), memoryHost_(memoryHost) {}

  std::string_view name() const override { return "simulated"; }
  bool isDevice() const override { return false; }
  void* allocate(std::size_t bytes) override;
  void release(void* ptr) noexcept override;
  // The buffers are shared and their contents meaningless: copies only take their time.
  void copy(void* dst, const void*, std::size_t bytes) override { pass(copy_, dst, bytes); }
  void toHost(void*, const void*, std::size_t) override {}
  void fromHost(void*, const void*, std::size_t) override {}
  void add(void* dst, const void* src, std::size_t count, DType t) override;
  // One fused pass, as host and device memory do it: a reduction into a third buffer, no copy.
  void sum(void* dst, const void*, const void*, std::size_t count, DType t) override {
    pass(sum_, dst, count * elementBytes(t));
  }
  void divide(void* dst, std::size_t count, DType t, double) override {
    pass(scale_, dst, count * elementBytes(t));
  }
  void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
               double n) override;
  void synchronize() override {}

  void sending(const void* buf, std::size_t bytes, int peer) override {
    spend(lines_.send(buf, bytes, sameHost(peer), sendWritten_, sendUnwritten_));
  }
  void receiving(void* buf, std::size_t bytes) override { spend(lines_.write(buf, bytes, afterSend_)); }
  void received(int peer, std::size_t bytes) override {
    if (receiveWork_.any() && sameHost(peer)) spend(receiveWork_.of(bytes));
  }
  // Where this rank is: ranks r and q share a machine when r / hostRanks == q / hostRanks (0:
  // each alone), for the charges below.
  void placeOnHost(int rank, int hostRanks) {
    rank_ = rank;
    hostRanks_ = hostRanks;
  }
  void chargeReceives(MessageCost work) { receiveWork_ = std::move(work); }
  // sendWritten, sendUnwritten: added per byte of a message to a rank of this machine by whether
  // this rank has written those bytes since it last sent them (Topology::sendWritten).
  void chargeSends(Cost written, Cost unwritten) {
    sendWritten_ = std::move(written);
    sendUnwritten_ = std::move(unwritten);
    lines_ = LineStates(sendWritten_.any() || sendUnwritten_.any());
  }

 private:
  // A pass of `bytes` writing from `dst`: its cost and the surcharge on what peers have read.
  void pass(const Cost& cost, void* dst, std::size_t bytes) {
    spend(cost.of(bytes) + lines_.write(dst, bytes, afterSend_));
  }
  void spend(double seconds) const;  // simulated time a pass takes alone
  bool sameHost(int peer) const { return hostRanks_ > 0 && peer / hostRanks_ == rank_ / hostRanks_; }
  Cost gamma_;
  Cost copy_;
  Cost sum_;
  Cost scale_;
  Cost afterSend_;
  Cost sendWritten_;
  Cost sendUnwritten_;
  sg_host_t memoryHost_;
  LineStates lines_;
  MessageCost receiveWork_;
  int rank_ = 0;
  int hostRanks_ = 0;  // 0: no message is charged as between ranks of one machine
};

}  // namespace commsim::sim
