// All-to-all exchange: every worker sends its whole gradient to each of the other n-1 workers and
// averages what it receives.
//
// Schedule: n-1 rounds; in round k worker i sends to (i+k) mod n and receives from (i-k) mod n,
// then adds what it received. Each round is a matched pair, so it cannot deadlock under any
// send semantics (rendezvous MPI, grouped NCCL). One receive buffer is reused across rounds:
// gradients are accumulated as they arrive, never held n at a time (SPEC §8).
//
// On the wire: n(n-1) messages of p*s bytes; the busiest endpoint sends (n-1)*p*s.
#include "commsim/paradigm.hpp"

namespace commsim {

namespace {

class AllToAll final : public Paradigm {
 public:
  std::string_view name() const override { return "all-to-all"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const std::uint64_t n = layout.workers;
    return wholeGradientMessages(n * (n - 1), p, s, "n(n-1)", "n(n-1)*p*s");
  }

  double busbwFactor(const Layout& layout) const override { return layout.workers - 1.0; }

  // n-1 rounds, each moving one whole gradient in and out of every worker, then one add.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers;
    return {n - 1, n - 1, n - 1, "(n-1)*(alpha + p*s/B + p*s*gamma)"};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const int n = c.layout.workers;
    const std::size_t bytes = c.count * c.elementSize();
    c.memory.copy(c.out, c.grad, bytes);
    Request pending[2];
    for (int k = 1; k < n; ++k) {
      pending[0] = t.isend(c.grad, bytes, (me + k) % n, kTagGradient);
      pending[1] = t.irecv(c.scratch, bytes, (me - k + n) % n, kTagGradient);
      t.waitAll(pending);
      c.memory.add(c.out, c.scratch, c.count, c.dtype);
    }
    c.memory.divide(c.out, c.count, c.dtype, n);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeAllToAll() { return std::make_unique<AllToAll>(); }

}  // namespace commsim
