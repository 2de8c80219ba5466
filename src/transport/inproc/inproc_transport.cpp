// Ranks as threads. A send and its receive meet in a mailbox; whichever of the two arrives second
// copies the payload (outside the lock) and completes both. Sends are rendezvous: the sender's
// buffer is read in place, never buffered.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "commsim/error.hpp"
#include "commsim/inproc.hpp"

namespace commsim {

namespace {

struct World;

struct Operation final : RequestState {
  explicit Operation(World& w) : world(w) {}
  ~Operation() override;

  World& world;
  int source = 0;
  int tag = 0;
  const void* sendBuf = nullptr;
  void* recvBuf = nullptr;
  std::size_t bytes = 0;
  // Guarded by World::mutex: in a mailbox, taken by a matching peer, copied and complete.
  bool queued = false;
  bool matched = false;
  bool done = false;
};

// State shared by the ranks of one in-process world.
struct World {
  explicit World(int n) : ranks(n), unexpected(n), posted(n), slots(n) {}

  int ranks;
  std::mutex mutex;
  std::condition_variable changed;
  bool aborted = false;
  // Per destination rank: sends not yet matched, receives not yet matched, each in posting order.
  std::vector<std::deque<Operation*>> unexpected;
  std::vector<std::deque<Operation*>> posted;

  // Control-plane collectives: a generation-counted barrier and one slot per rank.
  int arrived = 0;
  std::uint64_t generation = 0;
  std::vector<std::vector<std::uint64_t>> slots;

  void checkAborted() const {
    if (aborted) throw Error("in-process transport: another rank failed; this rank stops");
  }

  void abort() {
    std::lock_guard lock(mutex);
    aborted = true;
    changed.notify_all();
  }

  // Blocks until every rank has arrived; the last one to arrive runs `last` under the lock.
  template <typename F>
  void rendezvous(std::unique_lock<std::mutex>& lock, F&& last) {
    const std::uint64_t gen = generation;
    if (++arrived == ranks) {
      last();
      arrived = 0;
      ++generation;
      changed.notify_all();
      return;
    }
    changed.wait(lock, [&] { return generation != gen || aborted; });
    checkAborted();
  }
};

// A request dropped before completion (a rank unwinding after an error) must leave no dangling
// pointer in the mailboxes, and must not free a buffer a peer is still copying into.
Operation::~Operation() {
  std::unique_lock lock(world.mutex);
  if (queued) {
    for (auto* queues : {&world.unexpected, &world.posted})
      for (auto& q : *queues) std::erase(q, this);
  } else if (matched) {
    world.changed.wait(lock, [&] { return done; });
  }
}

class InprocTransport final : public Transport {
 public:
  InprocTransport(World& world, int rank) : world_(world), rank_(rank) {}

  std::string_view name() const override { return "inproc"; }
  int rank() const override { return rank_; }
  int size() const override { return world_.ranks; }
  int localRank() const override { return rank_; }
  int localSize() const override { return world_.ranks; }

  void barrier() override {
    std::unique_lock lock(world_.mutex);
    world_.checkAborted();
    world_.rendezvous(lock, [] {});
  }

  void allreduce(std::span<double> values, ReduceOp op) override {
    std::vector<std::uint64_t> bits(values.size());
    std::memcpy(bits.data(), values.data(), values.size() * sizeof(double));
    std::vector<std::uint64_t> all(bits.size() * size());
    allgather(bits, all);
    for (std::size_t i = 0; i < values.size(); ++i) {
      double acc = 0;
      for (int r = 0; r < size(); ++r) {
        double v;
        std::memcpy(&v, &all[r * values.size() + i], sizeof v);
        acc = r == 0 ? v : combine(acc, v, op);
      }
      values[i] = acc;
    }
  }

  void allreduce(std::span<std::uint64_t> values, ReduceOp op) override {
    std::vector<std::uint64_t> all(values.size() * size());
    allgather(values, all);
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint64_t acc = all[i];
      for (int r = 1; r < size(); ++r) acc = combine(acc, all[r * values.size() + i], op);
      values[i] = acc;
    }
  }

  void allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) override {
    COMMSIM_ENFORCE_EQ(out.size(), in.size() * size(), "allgather output size");
    std::unique_lock lock(world_.mutex);
    world_.checkAborted();
    world_.slots[rank_].assign(in.begin(), in.end());
    world_.rendezvous(lock, [] {});
    for (int r = 0; r < size(); ++r) {
      COMMSIM_ENFORCE_EQ(world_.slots[r].size(), in.size(), "allgather sizes differ on rank " << r);
      std::copy(world_.slots[r].begin(), world_.slots[r].end(), out.begin() + r * in.size());
    }
    // A second rendezvous so no rank overwrites its slot before all have read.
    world_.rendezvous(lock, [] {});
  }

  void gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) override {
    out.clear();
    std::unique_lock lock(world_.mutex);
    world_.checkAborted();
    world_.slots[rank_].assign(in.begin(), in.end());
    world_.rendezvous(lock, [] {});
    if (rank_ == 0)
      for (const auto& slot : world_.slots) out.insert(out.end(), slot.begin(), slot.end());
    world_.rendezvous(lock, [] {});
  }

  bool sharedClock() const override { return true; }

 protected:
  Request postSend(const void* buf, std::size_t bytes, int peer, int tag) override {
    auto op = std::make_unique<Operation>(world_);
    op->source = rank_;
    op->tag = tag;
    op->sendBuf = buf;
    op->bytes = bytes;
    // A send looks for a receive the peer posted, else waits among the peer's unexpected sends.
    if (Operation* recv = matchOrQueue(op.get(), world_.posted[peer], world_.unexpected[peer]))
      deliver(op.get(), recv);
    return Request(std::move(op));
  }

  Request postRecv(void* buf, std::size_t bytes, int peer, int tag) override {
    auto op = std::make_unique<Operation>(world_);
    op->source = peer;
    op->tag = tag;
    op->recvBuf = buf;
    op->bytes = bytes;
    if (Operation* send = matchOrQueue(op.get(), world_.unexpected[rank_], world_.posted[rank_]))
      deliver(send, op.get());
    return Request(std::move(op));
  }

  void complete(std::span<Request> requests) override {
    std::unique_lock lock(world_.mutex);
    for (Request& r : requests) {
      if (!r.active()) continue;
      auto* op = static_cast<Operation*>(r.state());
      world_.changed.wait(lock, [&] { return op->done || world_.aborted; });
      world_.checkAborted();
    }
  }

 private:
  // Takes the first operation in `partners` with op's source and tag (FIFO, as MPI matches), or
  // queues op in `waiting` for its partner to find. Returns the partner, to be delivered without
  // the lock.
  Operation* matchOrQueue(Operation* op, std::deque<Operation*>& partners,
                          std::deque<Operation*>& waiting) {
    std::lock_guard lock(world_.mutex);
    world_.checkAborted();
    auto it = std::find_if(partners.begin(), partners.end(), [&](const Operation* other) {
      return other->source == op->source && other->tag == op->tag;
    });
    if (it == partners.end()) {
      waiting.push_back(op);
      op->queued = true;
      return nullptr;
    }
    Operation* partner = *it;
    partners.erase(it);
    partner->queued = false;
    partner->matched = op->matched = true;
    return partner;
  }

  // Copies a matched pair and completes both. Runs without the lock: the pair is out of the
  // queues, so nobody else touches it until `done` is set.
  void deliver(Operation* send, Operation* recv) {
    // What the error names is read now: once `done` is set, the peer may free its operation.
    const std::size_t sent = send->bytes, room = recv->bytes;
    const int source = send->source;
    const bool fits = sent <= room;
    if (fits && send->bytes) std::memcpy(recv->recvBuf, send->sendBuf, send->bytes);
    recv->receivedBytes = send->bytes;
    {
      std::lock_guard lock(world_.mutex);
      send->done = recv->done = true;
      if (!fits) world_.aborted = true;  // the peers must not wait for this pair any longer
      world_.changed.notify_all();
    }
    COMMSIM_ENFORCE(fits, "message of " << sent << " bytes from rank " << source
                                        << " does not fit a receive of " << room);
  }

  template <typename T>
  static T combine(T a, T b, ReduceOp op) {
    switch (op) {
      case ReduceOp::Sum: return a + b;
      case ReduceOp::Min: return std::min(a, b);
      case ReduceOp::Max: return std::max(a, b);
    }
    return a;
  }

  World& world_;
  int rank_;
};

}  // namespace

void runInProcess(int ranks, const std::function<void(Transport&)>& body) {
  COMMSIM_ENFORCE(ranks >= 1, "an in-process world needs at least one rank, not " << ranks);
  World world(ranks);
  std::mutex errorMutex;
  std::exception_ptr firstError;
  std::vector<std::thread> threads;
  threads.reserve(ranks);
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      InprocTransport transport(world, r);
      try {
        body(transport);
      } catch (...) {
        {
          std::lock_guard lock(errorMutex);
          if (!firstError) firstError = std::current_exception();
        }
        world.abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (firstError) std::rethrow_exception(firstError);
}

}  // namespace commsim
