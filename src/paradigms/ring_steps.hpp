// The two halves of a ring all-reduce, over any ring of ranks and any element range, shared by
// ring-allreduce (one ring of all workers) and hierarchical-ring (rings inside and across hosts).
//
// A ring of R members cuts [base, base+count) into R chunks by the floor-plus-remainder Partition.
// Reduce-scatter, step t (R-1 steps): member i sends chunk (i-t) mod R to i+1 and receives chunk
// (i-t-1) mod R from i-1 into scratch, which it sums with its input into `out`. Afterwards member
// i holds the sum over the ring of chunk (i+1) mod R (ringOwnedChunk). All-gather, step t: member i
// sends chunk (i+1-t) mod R and receives chunk (i-t) mod R straight into its place in `out`.
// Each step is one matched send/receive pair per member, one wait: R-1 rounds per half, every
// chunk carried R-1 times, empty chunks included.
#pragma once

#include <cstdint>
#include <vector>

#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"

namespace commsim::ring_steps {

struct Ring {
  std::vector<int> ranks;  // members in ring order
  int me = 0;              // this rank's index in `ranks`

  int size() const { return static_cast<int>(ranks.size()); }
  int right() const { return ranks[static_cast<std::size_t>((me + 1) % size())]; }
  int left() const { return ranks[static_cast<std::size_t>((me - 1 + size()) % size())]; }
  std::uint64_t chunk(int i) const { return static_cast<std::uint64_t>(((i % size()) + size()) % size()); }
  std::uint64_t ownedChunk() const { return chunk(me + 1); }
};

// Sums `input` over the ring into the owned chunk of `out` (input may be `out` itself). The other
// chunks of `out` in the range hold partial sums until ringAllGather. A ring of one copies.
inline void ringReduceScatter(StepContext& c, const Ring& ring, std::uint64_t base,
                              std::uint64_t count, const void* input, int tag) {
  const int R = ring.size();
  const Partition chunks{count, static_cast<std::uint64_t>(R)};
  const std::size_t s = c.elementSize();
  auto in = [&](std::uint64_t element) { return c.at(const_cast<void*>(input), base + element); };
  if (R == 1 && input != c.out) c.memory.copy(c.at(c.out, base), in(0), count * s);
  Request pending[2];
  for (int step = 0; step < R - 1; ++step) {
    const auto send = ring.chunk(ring.me - step);
    const auto recv = ring.chunk(ring.me - step - 1);
    // Step 0 sends the input's own chunk; later steps forward what was summed into `out`.
    const void* from = step == 0 ? in(chunks.offset(send)) : c.at(c.out, base + chunks.offset(send));
    pending[0] = c.transport.isend(from, chunks.count(send) * s, ring.right(), tag);
    pending[1] = c.transport.irecv(c.scratch, chunks.count(recv) * s, ring.left(), tag);
    c.transport.waitAll(pending);
    const auto off = chunks.offset(recv);
    c.memory.sum(c.at(c.out, base + off), in(off), c.scratch, chunks.count(recv), c.dtype);
  }
}

// Spreads every member's owned chunk of `out` to all members.
inline void ringAllGather(StepContext& c, const Ring& ring, std::uint64_t base, std::uint64_t count,
                          int tag) {
  const int R = ring.size();
  const Partition chunks{count, static_cast<std::uint64_t>(R)};
  const std::size_t s = c.elementSize();
  Request pending[2];
  for (int step = 0; step < R - 1; ++step) {
    const auto send = ring.chunk(ring.me + 1 - step);
    const auto recv = ring.chunk(ring.me - step);
    pending[0] = c.transport.isend(c.at(c.out, base + chunks.offset(send)), chunks.count(send) * s,
                                   ring.right(), tag);
    pending[1] = c.transport.irecv(c.at(c.out, base + chunks.offset(recv)), chunks.count(recv) * s,
                                   ring.left(), tag);
    c.transport.waitAll(pending);
  }
}

}  // namespace commsim::ring_steps
