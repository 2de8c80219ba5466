// Parameter server. Workers push their gradients; the server sums them as they arrive, applies
// the SGD step w <- w - lr * mean(g) to the parameters it owns, and sends the new parameters back
// to every worker.
//
// Dedicated (k = 1): one server rank after the workers. 2n messages of p*s bytes, 2n*p*s bytes;
// the server's link carries n*p*s each way, so busbw = n*p*s / time.
// Sharded (k > 1): k server ranks, server j owns shard j of the parameters (floor-plus-remainder
// Partition). Each worker pushes shard j to server j and pulls it back: 2nk messages of about
// p/k elements, still 2n*p*s bytes; each server link carries n*p*s/k each way.
// Co-located: worker 0 is the server. Its own gradient never crosses the wire, so 2(n-1)
// messages of p*s bytes, 2(n-1)*p*s bytes; worker 0's link carries (n-1)*p*s each way.
//
// The server receives one gradient at a time into one buffer and accumulates it (SPEC §8): a
// dedicated server uses its (unused) gradient buffer as the sum; on worker 0 the sum is built in
// place of its own gradient, which the step therefore consumes.
//
// A worker pushes, waits for its pushes, then pulls: it has nothing to receive before the server
// has every gradient anyway, and no rank then waits on an operation of its own that it posted
// beside one its peer has not matched yet. NCCL needs that: operations fused in one group are not
// promised to progress independently when the peer posts its side in other groups (the server
// receives one worker at a time), so a worker's pending pull could hold up its push.
#include "commsim/chunks.hpp"
#include "commsim/paradigm.hpp"

namespace commsim {

namespace {

class ParameterServer final : public Paradigm {
 public:
  explicit ParameterServer(int shards) : shards_(shards) {}

  std::string_view name() const override { return "parameter-server"; }
  std::string variant(const Layout&) const override {
    return shards_ == 1 ? "dedicated" : "sharded k=" + std::to_string(shards_);
  }
  Outcome outcome() const override { return Outcome::SgdParameters; }
  int dedicatedServers() const override { return shards_; }
  bool ownsParameters(const Layout& layout, int rank) const override {
    return layout.isServer(rank);
  }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const std::uint64_t n = layout.workers;
    const std::uint64_t k = static_cast<std::uint64_t>(shards_);
    const Partition shards{p, k};
    Expectation e;
    e.messages = 2 * n * k;
    e.totalBytes = 2 * n * p * s;
    e.minMessageBytes = shards.minCount() * s;
    e.maxMessageBytes = shards.maxCount() * s;
    e.emptyMessages = 2 * n * shards.emptyParts();
    e.messagesFormula = k == 1 ? "2n" : "2nk";
    e.bytesFormula = "2n*p*s";
    return e;
  }

  double busbwFactor(const Layout& layout) const override {
    return static_cast<double>(layout.workers) / shards_;
  }

  // A server receives one gradient (shard) at a time, to hold one buffer of them (SPEC §8): n
  // rounds of push, then one round sending to all n. SPEC §4's 2*(alpha + n*p*s/B) assumes all
  // pushes in flight at once; the code pays n-1 more latencies, which small messages show. Each
  // received shard is added, and the SGD step is one more pass: n*p*s/k reduced. With k > n
  // servers a worker's link, not a server's, sets the bandwidth term.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers, k = shards_;
    return {n + 1, 2 * n / k, n / k,
            k == 1 ? "(n+1)*alpha + 2n*p*s/B + n*p*s*gamma"
                   : "(n+1)*alpha + 2(n/k)*p*s/B + (n/k)*p*s*gamma"};
  }

  std::pair<std::uint64_t, std::uint64_t> checkedRange(const Layout& layout, int rank,
                                                       std::uint64_t p) const override {
    if (!layout.isServer(rank)) return Paradigm::checkedRange(layout, rank, p);
    const Partition shards{p, static_cast<std::uint64_t>(shards_)};
    const auto j = static_cast<std::uint64_t>(rank - layout.workers);
    return {shards.offset(j), shards.count(j)};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    const Partition shards{c.count, static_cast<std::uint64_t>(shards_)};
    const std::size_t s = c.elementSize();
    const int n = c.layout.workers;

    if (c.layout.isWorker(me)) {
      std::vector<Request> pending;
      pending.reserve(static_cast<std::size_t>(shards_));
      for (int j = 0; j < shards_; ++j) {
        const auto bytes = shards.count(j) * s;
        pending.push_back(t.isend(c.at(c.grad, shards.offset(j)), bytes, c.layout.serverRank(j),
                                  kTagGradient));
      }
      t.waitAll(pending);
      pending.clear();
      for (int j = 0; j < shards_; ++j) {
        const auto bytes = shards.count(j) * s;
        pending.push_back(t.irecv(c.at(c.out, shards.offset(j)), bytes, c.layout.serverRank(j),
                                  kTagParameters));
      }
      t.waitAll(pending);
      return;
    }
    if (!c.layout.isServer(me)) return;

    const auto j = static_cast<std::uint64_t>(me - n);
    const auto count = shards.count(j);
    const auto bytes = count * s;
    void* sum = c.grad;  // a dedicated server has no gradient of its own
    // Server j starts with worker j (mod n): the servers' first receives come from different
    // workers, so each worker's link carries one shard at a time, not all k at once.
    for (int i = 0; i < n; ++i) {
      const int w = static_cast<int>((j + static_cast<std::uint64_t>(i)) % static_cast<std::uint64_t>(n));
      Request r = t.irecv(i == 0 ? sum : c.scratch, bytes, w, kTagGradient);
      t.wait(r);
      if (i > 0) c.memory.add(sum, c.scratch, count, c.dtype);
    }
    std::byte* params = c.at(c.out, shards.offset(j));
    c.memory.sgdStep(params, sum, count, c.dtype, c.lr, n);
    std::vector<Request> pending;
    pending.reserve(static_cast<std::size_t>(n));
    for (int w = 0; w < n; ++w) pending.push_back(t.isend(params, bytes, w, kTagParameters));
    t.waitAll(pending);
  }

 private:
  int shards_;
};

class ColocatedParameterServer final : public Paradigm {
 public:
  std::string_view name() const override { return "parameter-server"; }
  std::string variant(const Layout&) const override { return "co-located"; }
  Outcome outcome() const override { return Outcome::SgdParameters; }
  bool consumesGradient() const override { return true; }
  bool ownsParameters(const Layout& /*layout*/, int rank) const override { return rank == 0; }

  Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const override {
    const std::uint64_t n = layout.workers;
    return wholeGradientMessages(2 * (n - 1), p, s, "2(n-1)", "2(n-1)*p*s");
  }

  double busbwFactor(const Layout& layout) const override { return layout.workers - 1.0; }

  // Worker 0 receives the n-1 gradients one at a time, then sends to all n-1 in one round; its
  // n-1 adds and the SGD step reduce n*p*s.
  AlphaBeta alphaBeta(const Layout& layout) const override {
    const double n = layout.workers;
    return {n, 2 * (n - 1), n, "n*alpha + 2(n-1)*p*s/B + n*p*s*gamma"};
  }

  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int me = t.rank();
    if (!c.layout.isWorker(me)) return;
    const int n = c.layout.workers;
    const std::size_t bytes = c.count * c.elementSize();
    if (me != 0) {  // push, then pull, as for the dedicated server
      Request push = t.isend(c.grad, bytes, 0, kTagGradient);
      t.wait(push);
      Request pull = t.irecv(c.out, bytes, 0, kTagParameters);
      t.wait(pull);
      return;
    }
    for (int w = 1; w < n; ++w) {
      Request r = t.irecv(c.scratch, bytes, w, kTagGradient);
      t.wait(r);
      c.memory.add(c.grad, c.scratch, c.count, c.dtype);
    }
    c.memory.sgdStep(c.out, c.grad, c.count, c.dtype, c.lr, n);
    std::vector<Request> pending;
    pending.reserve(static_cast<std::size_t>(n));
    for (int w = 1; w < n; ++w) pending.push_back(t.isend(c.out, bytes, w, kTagParameters));
    t.waitAll(pending);
  }
};

}  // namespace

std::unique_ptr<Paradigm> makeParameterServer(int shards) {
  return std::make_unique<ParameterServer>(shards);
}
std::unique_ptr<Paradigm> makeParameterServerColocated() {
  return std::make_unique<ColocatedParameterServer>();
}

}  // namespace commsim
