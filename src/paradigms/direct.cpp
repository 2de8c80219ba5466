// Direct: a reduce-scatter and an all-gather in which every worker talks to every other at once,
// as on a fully connected fabric (NVSwitch, or ASTRA-sim's "direct" collective).
//
//   Reduce-scatter: worker i sends shard j of Partition{p, n} straight to worker j, for every
//   j != i, and receives its own shard i from the n-1 others, summing them.
//   All-gather: worker j sends its reduced shard, divided by n, to every other worker.
//
// Each phase is one round when the n-1 incoming shards fit the p elements of scratch space
// (p >= n(n-1), or every shard empty); smaller gradients go in windows of as many peers as fit,
// the same on every rank. Peers are taken in the order i+1, i+2, ... so no two workers send to
// the same one at the same moment more than the window allows.
//
// On the wire: 2n(n-1) messages of floor(p/n) or ceil(p/n) elements, 2(n-1)*p*s bytes; each worker
// sends 2(n-1)/n * p*s, like the ring, in 2 rounds instead of 2(n-1).
#include <algorithm>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"

namespace commsim {

namespace {

class Direct final : public Paradigm {
 public:
  std::string_view name() const override { return "direct"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    // Every shard goes to its owner from n-1 workers, then from its owner to n-1 workers.
    const std::uint64_t n = layout.workers;
    return partitionedMessages(n, 2 * (n - 1), p, s, "2n(n-1)", "2(n-1)*p*s");
  }

  double busbwFactor(const Layout& layout) const override {
    const double n = layout.workers;
    return 2.0 * (n - 1.0) / n;
  }

  // Two rounds (for p >= n(n-1)), each carrying (n-1) shards of p/n through every endpoint.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers;
    if (layout.workers < 2) return {0, 0, 0, "0"};
    return {2, 2 * (n - 1) / n, (n - 1) / n,
            "2*alpha + 2(n-1)/n*p*s/B + (n-1)/n*p*s*gamma (p >= n(n-1))"};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const int n = c.layout.workers;
    const Partition shards{c.count, static_cast<std::uint64_t>(n)};
    const std::size_t s = c.elementSize();
    const std::uint64_t mine = static_cast<std::uint64_t>(me);
    const std::uint64_t off = shards.offset(mine), count = shards.count(mine);
    auto peer = [&](int k) { return (me + k) % n; };
    auto from = [&](int k) { return (me - k + n) % n; };

    // How many peers' shards one window receives: as many as the largest shard fits in scratch.
    const std::uint64_t largest = shards.maxCount();
    const int window = largest == 0 ? n - 1
                                    : static_cast<int>(std::clamp<std::uint64_t>(
                                          c.count / largest, 1, static_cast<std::uint64_t>(std::max(n - 1, 1))));

    c.memory.copy(c.at(c.out, off), c.at(c.grad, off), count * s);
    std::vector<Request> pending;
    for (int first = 1; first < n; first += window) {
      const int last = std::min(first + window, n);
      pending.clear();
      for (int k = first; k < last; ++k) {
        const auto j = static_cast<std::uint64_t>(peer(k));
        pending.push_back(t.isend(c.at(c.grad, shards.offset(j)), shards.count(j) * s, peer(k),
                                  kTagReduceScatter));
        pending.push_back(t.irecv(c.at(c.scratch, static_cast<std::uint64_t>(k - first) * count),
                                  count * s, from(k), kTagReduceScatter));
      }
      t.waitAll(pending);
      for (int k = first; k < last; ++k)
        c.memory.add(c.at(c.out, off), c.at(c.scratch, static_cast<std::uint64_t>(k - first) * count),
                     count, c.dtype);
    }
    c.memory.divide(c.at(c.out, off), count, c.dtype, n);

    pending.clear();
    for (int k = 1; k < n; ++k) {
      const auto j = static_cast<std::uint64_t>(from(k));
      pending.push_back(t.isend(c.at(c.out, off), count * s, peer(k), kTagAllGather));
      pending.push_back(t.irecv(c.at(c.out, shards.offset(j)), shards.count(j) * s, from(k),
                                kTagAllGather));
    }
    t.waitAll(pending);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeDirect(const AlgorithmOptions&) { return std::make_unique<Direct>(); }

}  // namespace commsim
