// Ring all-reduce: reduce-scatter (n-1 steps) then all-gather (n-1 steps) around the ring
// 0 -> 1 -> ... -> n-1 -> 0. The gradient is cut into n chunks by the floor-plus-remainder
// Partition, so chunk sizes differ by at most one element and any p works, p < n included
// (empty chunks are still sent: one message each).
//
// Reduce-scatter then all-gather (ring_steps.hpp): after the n-1 reduce-scatter steps worker i
// holds the full sum of chunk (i+1) mod n, which it divides by n before the all-gather.
//
// On the wire: 2n(n-1) messages of floor(p/n) or ceil(p/n) elements, 2(n-1)*p*s bytes in all;
// each worker sends 2(n-1)/n * p*s.
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"
#include "ring_steps.hpp"

namespace commsim {

namespace {

class RingAllreduce final : public Paradigm {
 public:
  std::string_view name() const override { return "ring-allreduce"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    // Every chunk travels n-1 times in each phase.
    const std::uint64_t n = layout.workers;
    return partitionedMessages(n, 2 * (n - 1), p, s, "2n(n-1)", "2(n-1)*p*s");
  }

  double busbwFactor(const Layout& layout) const override {
    const double n = layout.workers;
    return 2.0 * (n - 1.0) / n;
  }

  // 2(n-1) rounds of one chunk each way; the n-1 reduce-scatter rounds each add a chunk.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers;
    return {2 * (n - 1), 2 * (n - 1) / n, (n - 1) / n,
            "2(n-1)*(alpha + p*s/(n*B)) + (n-1)/n*p*s*gamma"};
  }

  void run(StepContext& c) const override {
    const int me = c.transport.rank();
    if (!c.layout.isWorker(me)) return;
    ring_steps::Ring ring{{}, me};
    for (int i = 0; i < c.layout.workers; ++i) ring.ranks.push_back(i);
    // The result is built without first copying the gradient into it: step 0 sends this rank's
    // own chunk straight from the gradient, and every chunk received is summed with the
    // gradient's into the result. The one chunk reduce-scatter never writes (chunk `me`) is
    // filled by the all-gather.
    ring_steps::ringReduceScatter(c, ring, 0, c.count, c.grad, kTagReduceScatter);
    const Partition chunks{c.count, static_cast<std::uint64_t>(ring.size())};
    const auto owned = ring.ownedChunk();
    c.memory.divide(c.at(c.out, chunks.offset(owned)), chunks.count(owned), c.dtype, ring.size());
    ring_steps::ringAllGather(c, ring, 0, c.count, kTagAllGather);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeRingAllreduce() { return std::make_unique<RingAllreduce>(); }

}  // namespace commsim
