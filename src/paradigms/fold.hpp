// Folding a non-power-of-two group into a power of two, for recursive doubling and halving-doubling
// (MPI's treatment, e.g. Thakur, Rabenseifner & Gropp 2005): with m = 2^k the largest power of two
// <= n and r = n - m, the r extra workers m..n-1 each send their whole gradient to a partner
// 0..r-1 before the exchange (fold) and receive the whole result from it afterwards (unfold).
// Each side posts one operation per wait, so nothing waits on the other side's later steps.
#pragma once

#include <cstdint>

#include "commsim/paradigm.hpp"

namespace commsim::fold {

struct Group {
  int n = 1, m = 1, k = 0, r = 0;
  explicit Group(int workers) : n(workers) {
    while (m * 2 <= n) m *= 2, ++k;
    r = n - m;
  }
  bool extra(int rank) const { return rank >= m; }
  bool folds(int rank) const { return rank < r; }  // receives an extra worker's gradient
};

// Extra workers: send the gradient to the partner, then receive the result from it.
inline void extraWorker(StepContext& c, const Group& g) {
  const std::size_t bytes = c.count * c.elementSize();
  const int partner = c.transport.rank() - g.m;
  Request r = c.transport.isend(c.grad, bytes, partner, kTagFold);
  c.transport.wait(r);
  r = c.transport.irecv(c.out, bytes, partner, kTagUnfold);
  c.transport.wait(r);
}

// Workers below r: out = own gradient + the extra worker's.
inline void foldIn(StepContext& c, const Group& g) {
  const int me = c.transport.rank();
  Request r = c.transport.irecv(c.scratch, c.count * c.elementSize(), me + g.m, kTagFold);
  c.transport.wait(r);
  c.memory.sum(c.out, c.grad, c.scratch, c.count, c.dtype);
}

inline void unfold(StepContext& c, const Group& g) {
  const int me = c.transport.rank();
  Request r = c.transport.isend(c.out, c.count * c.elementSize(), me + g.m, kTagUnfold);
  c.transport.wait(r);
}

}  // namespace commsim::fold
