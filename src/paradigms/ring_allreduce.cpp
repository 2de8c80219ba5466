// Ring all-reduce: reduce-scatter (n-1 steps) then all-gather (n-1 steps) around the ring
// 0 -> 1 -> ... -> n-1 -> 0. The gradient is cut into n chunks by the floor-plus-remainder
// Partition, so chunk sizes differ by at most one element and any p works, p < n included
// (empty chunks are still sent: one message each).
//
// Reduce-scatter, step t: worker i sends chunk (i-t) mod n to i+1 and receives chunk (i-t-1) mod n
// from i-1 into scratch, then adds it in. After n-1 steps worker i holds the full sum of chunk
// (i+1) mod n; it divides that chunk by n. All-gather, step t: worker i sends chunk (i+1-t) mod n
// and receives chunk (i-t) mod n straight into its place in the result.
//
// On the wire: 2n(n-1) messages of floor(p/n) or ceil(p/n) elements, 2(n-1)*p*s bytes in all;
// each worker sends 2(n-1)/n * p*s.
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"

namespace commsim {

namespace {

class RingAllreduce final : public Paradigm {
 public:
  std::string_view name() const override { return "ring-allreduce"; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const std::uint64_t n = layout.workers;
    const Partition chunks{p, n};
    Expectation e;
    e.messages = 2 * n * (n - 1);
    e.totalBytes = 2 * (n - 1) * p * s;
    if (e.messages) {
      e.minMessageBytes = chunks.minCount() * s;
      e.maxMessageBytes = chunks.maxCount() * s;
    }
    // Every chunk travels n-1 times in each phase.
    e.emptyMessages = 2 * (n - 1) * chunks.emptyParts();
    e.messagesFormula = "2n(n-1)";
    e.bytesFormula = "2(n-1)*p*s";
    return e;
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
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const int n = c.layout.workers;
    const Partition chunks{c.count, static_cast<std::uint64_t>(n)};
    const std::size_t s = c.elementSize();
    const int right = (me + 1) % n;
    const int left = (me - 1 + n) % n;
    auto chunk = [&](int i) { return static_cast<std::uint64_t>(((i % n) + n) % n); };

    // The result is built without first copying the gradient into it: step 0 sends this rank's
    // own chunk straight from the gradient, and every chunk received is summed with the
    // gradient's into the result. The one chunk reduce-scatter never writes (chunk `me`) is
    // filled by the all-gather.
    if (n == 1) c.memory.copy(c.out, c.grad, c.count * s);
    Request pending[2];
    for (int step = 0; step < n - 1; ++step) {
      const auto send = chunk(me - step);
      const auto recv = chunk(me - step - 1);
      void* from = step == 0 ? c.grad : c.out;
      pending[0] = t.isend(c.at(from, chunks.offset(send)), chunks.count(send) * s, right,
                           kTagReduceScatter);
      pending[1] = t.irecv(c.scratch, chunks.count(recv) * s, left, kTagReduceScatter);
      t.waitAll(pending);
      const auto off = chunks.offset(recv);
      c.memory.sum(c.at(c.out, off), c.at(c.grad, off), c.scratch, chunks.count(recv), c.dtype);
    }
    const auto owned = chunk(me + 1);
    c.memory.divide(c.at(c.out, chunks.offset(owned)), chunks.count(owned), c.dtype, n);
    for (int step = 0; step < n - 1; ++step) {
      const auto send = chunk(me + 1 - step);
      const auto recv = chunk(me - step);
      pending[0] = t.isend(c.at(c.out, chunks.offset(send)), chunks.count(send) * s, right,
                           kTagAllGather);
      pending[1] = t.irecv(c.at(c.out, chunks.offset(recv)), chunks.count(recv) * s, left,
                           kTagAllGather);
      t.waitAll(pending);
    }
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeRingAllreduce() { return std::make_unique<RingAllreduce>(); }

}  // namespace commsim
