// Halving-doubling (Rabenseifner's all-reduce, MPI's choice for long messages): a reduce-scatter
// by recursive halving, then an all-gather by recursive doubling, on m = 2^k workers; the r = n - m
// extra workers are folded in first and out last (fold.hpp).
//
// Reduce-scatter, round j = 0..k-1: worker i pairs with i XOR m/2^(j+1). Both hold the same
// segment; it is cut in two by Partition{segment, 2} (the lower half takes the odd element), the
// worker whose pairing bit is set keeps the upper half, and each sends the half it gives up and
// adds the half it receives. After k rounds worker i owns the fully summed segment i of this
// recursive split (floor(p/m) or ceil(p/m) elements), which it divides by n. The all-gather
// replays the rounds backwards, each worker sending the segment it holds and receiving its
// partner's, doubling what it holds each round.
//
// On the wire: 2mk + 2r messages; the halvings carry (m-1)*p*s bytes each way and the fold and
// unfold p*s each, (2(m-1) + 2r)*p*s in all. Ring-like bandwidth in 2k rounds instead of 2(n-1).
#include <algorithm>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"
#include "fold.hpp"

namespace commsim {

namespace {

struct Segment {
  std::uint64_t offset = 0, count = 0;
  // The half a worker keeps (upper) or gives up when it pairs at this level.
  Segment half(bool upper) const {
    const Partition halves{count, 2};
    return {offset + halves.offset(upper ? 1 : 0), halves.count(upper ? 1 : 0)};
  }
};

class HalvingDoubling final : public Paradigm {
 public:
  std::string_view name() const override { return "halving-doubling"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const fold::Group g(layout.workers);
    Expectation e;
    e.messagesFormula = "2mk+2r";
    e.bytesFormula = "(2(m-1)+2r)*p*s";
    e.minMessageBytes = UINT64_MAX;
    auto sent = [&](std::uint64_t elements, std::uint64_t times) {
      e.messages += times;
      e.totalBytes += times * elements * s;
      e.minMessageBytes = std::min(e.minMessageBytes, elements * s);
      e.maxMessageBytes = std::max(e.maxMessageBytes, elements * s);
      if (elements == 0) e.emptyMessages += times;
    };
    if (g.r > 0) sent(p, 2 * static_cast<std::uint64_t>(g.r));
    // A segment of level j+1 is sent once by each of the m/2^(j+1) pairs that split its parent,
    // in the reduce-scatter and again in the all-gather.
    std::vector<Segment> level{{0, p}};
    for (int j = 0; j < g.k; ++j) {
      std::vector<Segment> next;
      for (const Segment& seg : level)
        for (bool upper : {false, true}) next.push_back(seg.half(upper));
      const auto times = 2 * static_cast<std::uint64_t>(g.m >> (j + 1));
      for (const Segment& seg : next) sent(seg.count, times);
      level = std::move(next);
    }
    if (e.messages == 0) e.minMessageBytes = 0;
    return e;
  }

  // The reduce-scatter and the all-gather each send (m-1)/m of the gradient; a folding worker
  // also sends the whole result back.
  double busbwFactor(const Layout& layout) const override {
    const fold::Group g(layout.workers);
    return 2.0 * (g.m - 1) / g.m + (g.r > 0 ? 1 : 0);
  }

  AlphaBeta alphaBeta(const Layout& layout) const override {
    const fold::Group g(layout.workers);
    const double e = g.r > 0 ? 1 : 0, m = g.m;
    return {2 * g.k + 2 * e, 2 * (m - 1) / m + 2 * e, (m - 1) / m + e,
            "2(k+e)*alpha + (2(m-1)/m + 2e)*p*s/B + ((m-1)/m + e)*p*s*gamma, k = log2 m, "
            "e = 1 if n > m"};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const fold::Group g(c.layout.workers);
    if (g.extra(me)) return fold::extraWorker(c, g);
    const std::size_t s = c.elementSize();
    const void* sum = c.grad;  // this worker's running sum, until the first round writes `out`
    if (g.folds(me)) {
      fold::foldIn(c, g);
      sum = c.out;
    }
    auto in = [&](const void* base, const Segment& seg) {
      return c.at(const_cast<void*>(base), seg.offset);
    };

    std::vector<Segment> held{{0, c.count}};  // held[j]: the segment held before round j
    Request pending[2];
    for (int j = 0; j < g.k; ++j) {
      const int bit = g.m >> (j + 1);
      const bool upper = (me & bit) != 0;
      const Segment keep = held.back().half(upper), give = held.back().half(!upper);
      pending[0] = t.isend(in(sum, give), give.count * s, me ^ bit, kTagReduceScatter);
      pending[1] = t.irecv(c.scratch, keep.count * s, me ^ bit, kTagReduceScatter);
      t.waitAll(pending);
      c.memory.sum(in(c.out, keep), in(sum, keep), c.scratch, keep.count, c.dtype);
      sum = c.out;
      held.push_back(keep);
    }
    if (sum != c.out) c.memory.copy(c.out, sum, c.count * s);
    c.memory.divide(in(c.out, held.back()), held.back().count, c.dtype, g.n);
    for (int j = g.k - 1; j >= 0; --j) {
      const int bit = g.m >> (j + 1);
      const bool upper = (me & bit) != 0;
      const Segment mine = held[static_cast<std::size_t>(j) + 1];
      const Segment theirs = held[static_cast<std::size_t>(j)].half(!upper);
      pending[0] = t.isend(in(c.out, mine), mine.count * s, me ^ bit, kTagAllGather);
      pending[1] = t.irecv(in(c.out, theirs), theirs.count * s, me ^ bit, kTagAllGather);
      t.waitAll(pending);
    }
    if (g.folds(me)) fold::unfold(c, g);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeHalvingDoubling(const AlgorithmOptions&) {
  return std::make_unique<HalvingDoubling>();
}

}  // namespace commsim
