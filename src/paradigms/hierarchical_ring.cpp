// Hierarchical ring: n = H hosts x G ranks per host, ranks of one host consecutive (host h holds
// ranks hG .. hG+G-1, local index l = rank mod G).
//
//   1. Inside each host, a ring reduce-scatter of the whole gradient over the G local ranks: local
//      rank l then holds the host's sum of chunk (l+1) mod G of Partition{p, G}.
//   2. Across hosts, G independent ring all-reduces, one per local index l, each over the H ranks
//      with that index and only on the chunk they own: every host's rank l ends with the global
//      sum of its chunk, divided by n.
//   3. Inside each host, a ring all-gather of the G chunks.
//
// Only step 2 leaves the host, and it moves 2(H-1)/n of the gradient per rank instead of the
// flat ring's 2(n-1)/n: the inter-host links carry 1/G of what a flat ring would put on them.
//
// On the wire: 2n(G-1) intra-host messages (each chunk of Partition{p,G} carried G-1 times per
// phase per host) and 2n(H-1) inter-host ones (each of Partition{chunk, H} carried H-1 times per
// phase per ring): 2n(G+H-2) messages, (2H(G-1) + 2(H-1))*p*s bytes.
//
// G is --ranks-per-host when given, otherwise the workers per host as the launcher placed them;
// with neither (placement unknown or uneven) the ring is one host wide (G = n, H = 1), which is the
// flat ring all-reduce.
#include <algorithm>
#include <string>

#include "commsim/algorithms.hpp"
#include "commsim/chunks.hpp"
#include "commsim/error.hpp"
#include "commsim/paradigm.hpp"
#include "ring_steps.hpp"

namespace commsim {

namespace {

class HierarchicalRing final : public Paradigm {
 public:
  explicit HierarchicalRing(int ranksPerHost) : ranksPerHost_(ranksPerHost) {}

  std::string_view name() const override { return "hierarchical-ring"; }

  std::string variant(const Layout& layout) const override {
    const int G = ranksPerHost(layout);
    return "G=" + std::to_string(G) + " H=" + std::to_string(layout.workers / G);
  }

  void validate(const Layout& layout) const override {
    if (ranksPerHost_ > 0 && layout.workers % ranksPerHost_ != 0)
      throw UsageError("ranks-per-host: " + std::to_string(ranksPerHost_) +
                       " does not divide the " + std::to_string(layout.workers) +
                       " workers (hierarchical-ring needs n = hosts x ranks per host)");
  }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const std::uint64_t n = layout.workers, G = ranksPerHost(layout), H = n / G;
    Expectation e;
    e.messages = 2 * n * (G + H - 2);
    e.totalBytes = (2 * H * (G - 1) + 2 * (H - 1)) * p * s;
    e.minMessageBytes = UINT64_MAX;
    auto sent = [&](std::uint64_t elements, std::uint64_t times) {
      if (times == 0) return;
      e.minMessageBytes = std::min(e.minMessageBytes, elements * s);
      e.maxMessageBytes = std::max(e.maxMessageBytes, elements * s);
      if (elements == 0) e.emptyMessages += times;
    };
    const Partition intra{p, G};
    for (std::uint64_t j = 0; j < G; ++j) {
      sent(intra.count(j), 2 * H * (G - 1));
      const Partition inter{intra.count(j), H};
      for (std::uint64_t i = 0; i < H; ++i) sent(inter.count(i), 2 * (H - 1));
    }
    if (e.messages == 0) e.minMessageBytes = 0;
    e.messagesFormula = "2n(G+H-2)";
    e.bytesFormula = "(2H(G-1)+2(H-1))*p*s";
    return e;
  }

  double busbwFactor(const Layout& layout) const override {
    const double n = layout.workers, G = ranksPerHost(layout), H = n / G;
    return 2 * (G - 1) / G + 2 * (H - 1) / n;
  }

  // G-1 intra-host steps of p/G, 2(H-1) inter-host steps of p/n, G-1 intra-host steps again.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers, G = ranksPerHost(layout), H = n / G;
    return {2 * (G + H - 2), 2 * (G - 1) / G + 2 * (H - 1) / n, (G - 1) / G + (H - 1) / n,
            "2(G+H-2)*alpha + (2(G-1)/G + 2(H-1)/n)*p*s/B + ((G-1)/G + (H-1)/n)*p*s*gamma"};
  }

  void run(StepContext& c) const override {
    const int me = c.transport.rank();
    if (!c.layout.isWorker(me)) return;
    const int n = c.layout.workers, G = ranksPerHost(c.layout), H = n / G;
    const int host = me / G, local = me % G;
    ring_steps::Ring intra{{}, local}, inter{{}, host};
    for (int l = 0; l < G; ++l) intra.ranks.push_back(host * G + l);
    for (int h = 0; h < H; ++h) inter.ranks.push_back(h * G + local);

    ring_steps::ringReduceScatter(c, intra, 0, c.count, c.grad, kTagReduceScatter);
    const Partition chunks{c.count, static_cast<std::uint64_t>(G)};
    const auto mine = intra.ownedChunk();
    const std::uint64_t base = chunks.offset(mine), count = chunks.count(mine);
    ring_steps::ringReduceScatter(c, inter, base, count, c.out, kTagInterHost);
    const Partition shards{count, static_cast<std::uint64_t>(H)};
    const auto shard = inter.ownedChunk();
    c.memory.divide(c.at(c.out, base + shards.offset(shard)), shards.count(shard), c.dtype, n);
    ring_steps::ringAllGather(c, inter, base, count, kTagInterHost);
    ring_steps::ringAllGather(c, intra, 0, c.count, kTagAllGather);
  }

 private:
  int ranksPerHost(const Layout& layout) const {
    if (ranksPerHost_ > 0) return ranksPerHost_;
    const int placed = layout.workersPerHost;
    return placed > 0 && layout.workers % placed == 0 ? placed : std::max(layout.workers, 1);
  }

  int ranksPerHost_;
};

}  // namespace

std::unique_ptr<Paradigm> makeHierarchicalRing(const AlgorithmOptions& o) {
  return std::make_unique<HierarchicalRing>(o.ranksPerHost);
}

}  // namespace commsim
