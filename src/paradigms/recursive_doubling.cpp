// Recursive doubling (MPI's all-reduce for short messages): k = log2 m rounds in which worker i
// exchanges its whole running sum with worker i XOR 2^j and adds what it receives; after round j
// each worker holds the sum over a group of 2^(j+1). A worker count that is not a power of two is
// folded in first (fold.hpp): r extra workers hand their gradient to a partner and get the result
// back.
//
// On the wire: m*k + 2r messages, each of p elements, (m*k + 2r)*p*s bytes. Fewest rounds of any
// algorithm here (k, +2 with extras), but every round moves the whole gradient: it wins on latency
// and loses on bandwidth.
#include "commsim/algorithms.hpp"
#include "commsim/paradigm.hpp"
#include "fold.hpp"

namespace commsim {

namespace {

class RecursiveDoubling final : public Paradigm {
 public:
  std::string_view name() const override { return "recursive-doubling"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const fold::Group g(layout.workers);
    const auto messages = static_cast<std::uint64_t>(g.m) * g.k + 2 * static_cast<std::uint64_t>(g.r);
    return wholeGradientMessages(messages, p, s, "m*k+2r", "(m*k+2r)*p*s");
  }

  // A folding worker sends k exchanges and the unfold.
  double busbwFactor(const Layout& layout) const override {
    const fold::Group g(layout.workers);
    return g.k + (g.r > 0 ? 1 : 0);
  }

  AlphaBeta alphaBeta(const Layout& layout) const override {
    const fold::Group g(layout.workers);
    const double e = g.r > 0 ? 1 : 0;
    return {g.k + 2 * e, g.k + 2 * e, g.k + e,
            "(k+2e)*(alpha + p*s/B) + (k+e)*p*s*gamma, k = log2 m, e = 1 if n > m"};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const fold::Group g(c.layout.workers);
    if (g.extra(me)) return fold::extraWorker(c, g);
    const std::size_t bytes = c.count * c.elementSize();
    // Until the first sum, this worker's running sum is its gradient (or the folded pair's).
    const void* sum = c.grad;
    if (g.folds(me)) {
      fold::foldIn(c, g);
      sum = c.out;
    }
    Request pending[2];
    for (int j = 0; j < g.k; ++j) {
      const int partner = me ^ (1 << j);
      pending[0] = t.isend(sum, bytes, partner, kTagExchange);
      pending[1] = t.irecv(c.scratch, bytes, partner, kTagExchange);
      t.waitAll(pending);
      c.memory.sum(c.out, sum, c.scratch, c.count, c.dtype);
      sum = c.out;
    }
    if (sum != c.out) c.memory.copy(c.out, sum, bytes);
    c.memory.divide(c.out, c.count, c.dtype, g.n);
    if (g.folds(me)) fold::unfold(c, g);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeRecursiveDoubling(const AlgorithmOptions&) {
  return std::make_unique<RecursiveDoubling>();
}

}  // namespace commsim
