// Binary tree: reduce up a binary tree to worker 0, then broadcast the mean back down, the
// gradient pipelined in K segments (--segments K, Partition{p, K}) as NCCL's tree does.
//
// The tree is the heap over workers 0..n-1: worker v's children are 2v+1 and 2v+2 (those < n), its
// parent (v-1)/2; depth D = floor(log2 n). Reduce, one wait per segment t: an inner worker
// receives segment t from its children (one into the result, one into scratch) while it sends
// segment t-1, summed, to its parent; a leaf sends its gradient's segments straight from the
// gradient. The root divides each summed segment by n. Broadcast, one wait per segment: a worker
// receives segment t from its parent while it sends segment t-1 to its children.
//
// On the wire: every tree edge carries each segment once up and once down: 2(n-1)K messages of
// floor(p/K)..ceil(p/K) elements, 2(n-1)*p*s bytes. An inner worker with a parent and two
// children sends 3 p*s (n >= 5), the root 2 p*s.
//
// Time: the deepest leaf's segments set the pace, 2(K+D-1) rounds of at most two segments in or
// out of the busiest worker. Leaves nearer the root start sooner, so some rounds carry less; the
// alpha-beta cost below follows the code's waits round by round (treeRounds) rather than quoting
// the steady state.
#include <algorithm>
#include <string>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"

namespace commsim {

namespace {

struct Heap {
  int n;
  int parent(int v) const { return (v - 1) / 2; }
  std::vector<int> children(int v) const {
    std::vector<int> c;
    for (int k : {2 * v + 1, 2 * v + 2})
      if (k < n) c.push_back(k);
    return c;
  }
  bool leaf(int v) const { return 2 * v + 1 >= n; }
};

// The tree's rounds on one flat link: which round each message travels in, by the rule every
// schedule follows (commsim/schedule.hpp): a wait's operations are posted in the round after the
// previous wait completed, a message travels once both its sides are posted, a wait completes
// with its last message, and a reduction counts in the round its wait completes. Loads are in
// units of one segment.
AlphaBeta treeRounds(int n, int K) {
  AlphaBeta ab;
  if (n < 2) return ab;
  const Heap tree{n};
  struct Load { std::vector<double> out, in, reduce; };
  std::vector<Load> rounds;
  auto at = [&](int round) -> Load& {
    if (static_cast<int>(rounds.size()) <= round) rounds.resize(static_cast<std::size_t>(round) + 1);
    Load& l = rounds[static_cast<std::size_t>(round)];
    l.out.resize(static_cast<std::size_t>(n));
    l.in.resize(static_cast<std::size_t>(n));
    l.reduce.resize(static_cast<std::size_t>(n));
    return l;
  };
  // Each message is met from both its sides; the receiver's side counts its load.
  auto message = [&](int src, int dst, int round, bool receiver = true) {
    if (!receiver) return round;
    at(round).out[static_cast<std::size_t>(src)] += 1;
    at(round).in[static_cast<std::size_t>(dst)] += 1;
    return round;
  };
  // done[v][g]: the round rank v's g-th wait completes; posted(v, g) the round its operations are.
  std::vector<std::vector<int>> done(static_cast<std::size_t>(n));
  auto posted = [&](int v, int g) {
    return g == 0 ? 0 : done[static_cast<std::size_t>(v)][static_cast<std::size_t>(g) - 1] + 1;
  };
  auto finish = [&](int v, int round) { done[static_cast<std::size_t>(v)].push_back(round); };
  // Reduce: a leaf's wait t sends segment t; an inner worker's wait t receives segment t and sends
  // segment t-1 (waits 0..K, the root's 0..K-1).
  auto sendWait = [&](int v, int t) { return tree.leaf(v) ? t : t + 1; };
  for (int t = 0; t <= K; ++t) {
    for (int v = n - 1; v >= 0; --v) {
      const bool lastWait = tree.leaf(v) || v == 0 ? t == K : false;
      if (lastWait || t > K) continue;
      int round = -1;
      if (!tree.leaf(v) && t < K) {
        for (int c : tree.children(v))
          round = std::max(round, message(c, v, std::max(posted(c, sendWait(c, t)), posted(v, t))));
      }
      if (v != 0) {
        const int seg = tree.leaf(v) ? t : t - 1;
        if (seg >= 0) {
          const int u = tree.parent(v);
          round = std::max(round, message(v, u, std::max(posted(v, t), posted(u, seg)), false));
        }
      }
      finish(v, round);
      if (!tree.leaf(v) && t < K)
        at(round).reduce[static_cast<std::size_t>(v)] += static_cast<double>(tree.children(v).size());
    }
  }
  // Broadcast: the root's wait b sends segment b; an inner worker's receives segment b and sends
  // segment b-1 (waits 0..K); a leaf's receives segment b.
  std::vector<int> start(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v) start[static_cast<std::size_t>(v)] = static_cast<int>(done[static_cast<std::size_t>(v)].size());
  auto bposted = [&](int v, int b) { return posted(v, start[static_cast<std::size_t>(v)] + b); };
  auto forwardWait = [&](int u, int b) { return u == 0 ? b : b + 1; };
  for (int b = 0; b <= K; ++b) {
    for (int v = 0; v < n; ++v) {
      const bool waits = v == 0 || tree.leaf(v) ? b < K : true;
      if (!waits) continue;
      int round = -1;
      if (v != 0 && b < K) {
        const int u = tree.parent(v);
        round = std::max(round, message(u, v, std::max(bposted(u, forwardWait(u, b)), bposted(v, b))));
      }
      const int seg = v == 0 ? b : b - 1;
      if (seg >= 0)
        for (int c : tree.children(v))
          round = std::max(round, message(v, c, std::max(bposted(v, b), bposted(c, seg)), false));
      finish(v, round);
    }
  }
  for (const Load& l : rounds) {
    const double most = std::max(*std::max_element(l.out.begin(), l.out.end()),
                                 *std::max_element(l.in.begin(), l.in.end()));
    if (most > 0) ab.alphas += 1;
    ab.bandwidthUnits += most / K;
    ab.reduceUnits += *std::max_element(l.reduce.begin(), l.reduce.end()) / K;
  }
  return ab;
}

class BinaryTree final : public Paradigm {
 public:
  explicit BinaryTree(int segments) : segments_(std::max(segments, 1)) {}

  std::string_view name() const override { return "binary-tree"; }
  std::string variant(const Layout&) const override {
    return segments_ > 1 ? "K=" + std::to_string(segments_) : "";
  }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    // Every segment crosses each of the n-1 tree edges once up and once down.
    const std::uint64_t n = layout.workers;
    return partitionedMessages(static_cast<std::uint64_t>(segments_), 2 * (n - 1), p, s,
                               "2(n-1)K", "2(n-1)*p*s");
  }

  double busbwFactor(const Layout& layout) const override {
    const int n = layout.workers;
    return n >= 5 ? 3 : n >= 3 ? 2 : n == 2 ? 1 : 0;
  }

  AlphaBeta alphaBeta(const Layout& layout) const override {
    AlphaBeta ab = treeRounds(layout.workers, segments_);
    ab.formula = "2(K+D-1)*alpha + sum over rounds of the busiest worker's segments (<= 2*p*s/K)/B "
                 "+ sum over reduce rounds of its sums (<= 2*p*s/K)*gamma, D = floor(log2 n)";
    return ab;
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int v = t.rank();
    if (!c.layout.isWorker(v)) return;
    const int n = c.layout.workers, K = segments_;
    const Heap tree{n};
    const Partition segs{c.count, static_cast<std::uint64_t>(K)};
    const std::size_t s = c.elementSize();
    const std::vector<int> children = tree.children(v);
    auto off = [&](int seg) { return segs.offset(static_cast<std::uint64_t>(seg)); };
    auto bytes = [&](int seg) { return segs.count(static_cast<std::uint64_t>(seg)) * s; };
    if (n == 1) {
      c.memory.copy(c.out, c.grad, c.count * s);
      return;
    }

    std::vector<Request> pending;
    // Reduce.
    for (int seg = 0; seg <= K; ++seg) {
      pending.clear();
      if (seg < K)
        for (std::size_t i = 0; i < children.size(); ++i)
          pending.push_back(t.irecv(c.at(i == 0 ? c.out : c.scratch, off(seg)), bytes(seg),
                                    children[i], kTagReduce));
      if (v != 0) {
        const int up = tree.leaf(v) ? seg : seg - 1;
        if (up >= 0 && up < K)
          pending.push_back(t.isend(c.at(tree.leaf(v) ? c.grad : c.out, off(up)), bytes(up),
                                    tree.parent(v), kTagReduce));
      }
      if (pending.empty()) continue;
      t.waitAll(pending);
      if (seg == K || children.empty()) continue;
      const std::uint64_t count = segs.count(static_cast<std::uint64_t>(seg));
      c.memory.add(c.at(c.out, off(seg)), c.at(c.grad, off(seg)), count, c.dtype);
      if (children.size() == 2)
        c.memory.add(c.at(c.out, off(seg)), c.at(c.scratch, off(seg)), count, c.dtype);
      if (v == 0) c.memory.divide(c.at(c.out, off(seg)), count, c.dtype, n);
    }
    // Broadcast.
    for (int seg = 0; seg <= K; ++seg) {
      pending.clear();
      if (v != 0 && seg < K)
        pending.push_back(t.irecv(c.at(c.out, off(seg)), bytes(seg), tree.parent(v), kTagBroadcast));
      const int down = v == 0 ? seg : seg - 1;
      if (down >= 0 && down < K)
        for (int child : children)
          pending.push_back(t.isend(c.at(c.out, off(down)), bytes(down), child, kTagBroadcast));
      if (!pending.empty()) t.waitAll(pending);
    }
  }

 private:
  int segments_;
};

}  // namespace

std::unique_ptr<Paradigm> makeBinaryTree(const AlgorithmOptions& o) {
  return std::make_unique<BinaryTree>(o.segments);
}

}  // namespace commsim
