#include "commsim/schedule.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <unordered_map>
#include <utility>

#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/byte_ranges.hpp"

namespace commsim {

namespace {

// One posted operation of one rank. 32 bytes: a 1024-rank ring records four million.
struct Op {
  std::uint64_t bytes;
  int peer;
  int tag;
  int posted;   // groups this rank had completed when it posted the operation
  int group;    // the group (wait) that completed it; -1 while pending
  std::uint32_t partner;  // index of the matching operation on the peer
  bool send;
};

struct RankLog {
  std::vector<Op> ops;
  // The completed waits, in order: group g holds groupOps[groupEnd[g-1] .. groupEnd[g]) (from 0
  // for g = 0), indices into ops. One flat list, not a vector per wait (millions of them).
  std::vector<std::uint32_t> groupOps;
  std::vector<std::uint32_t> groupEnd;
  std::size_t groupCount() const { return groupEnd.size(); }
  std::span<const std::uint32_t> group(std::size_t g) const {
    const std::uint32_t begin = g == 0 ? 0 : groupEnd[g - 1];
    return {groupOps.data() + begin, groupEnd[g] - begin};
  }
  // Seconds spent reducing before the first wait (index 0) and after each group g (index g+1),
  // copying or scaling in memory (the code's local passes), and on received messages' latencies
  // (MemoryCosts::receiveWork), alike.
  std::vector<double> reduceAfter{0};
  std::vector<double> localAfter{0};
  std::vector<double> latencyAfter{0};
  // What peers have read of this rank's buffers and what it has written since it sent it
  // (MemoryCosts::writeAfterSend, sendWritten); kept from one recorded step to the next.
  LineStates lines;
  // What this rank's sends add by their bytes' state (MemoryCosts::sendWritten): (the send's
  // index in ops, seconds), worked by the receiver after the wait that completes its receive.
  std::vector<std::pair<std::uint32_t, double>> sendExtra;

  void restart() {
    ops.clear();
    groupOps.clear();
    groupEnd.clear();
    reduceAfter.assign(1, 0);
    localAfter.assign(1, 0);
    latencyAfter.assign(1, 0);
    sendExtra.clear();
  }
};

// A posted operation's handle. Recording posts millions and holds a few at once, so freed ones
// are kept for the next (per thread) rather than returned to the allocator.
class RecordingState final : public RequestState {
 public:
  explicit RecordingState(std::uint32_t i) : op(i) {}
  std::uint32_t op;

  static void* operator new(std::size_t bytes) {
    if (bytes != sizeof(RecordingState) || spare().empty()) return ::operator new(bytes);
    void* p = spare().back();
    spare().pop_back();
    return p;
  }
  static void operator delete(void* p, std::size_t bytes) noexcept {
    if (bytes != sizeof(RecordingState) || spare().size() >= kSpares) return ::operator delete(p);
    spare().push_back(p);  // never allocates: kSpares were reserved
  }

 private:
  static constexpr std::size_t kSpares = 4096;
  static std::vector<void*>& spare() {
    struct Spares {
      std::vector<void*> v;
      Spares() { v.reserve(kSpares); }
      ~Spares() {
        for (void* p : v) ::operator delete(p);
      }
    };
    thread_local Spares s;
    return s.v;
  }
};

class RecordingTransport final : public Transport {
 public:
  RecordingTransport(int ranks, std::vector<RankLog>& logs) : ranks_(ranks), logs_(logs) {}
  void setRank(int r) { rank_ = r; }

  std::string_view name() const override { return "recording"; }
  int rank() const override { return rank_; }
  int size() const override { return ranks_; }
  int localRank() const override { return rank_; }
  int localSize() const override { return ranks_; }
  void barrier() override { refuse(); }
  void allreduce(std::span<double>, ReduceOp) override { refuse(); }
  void allreduce(std::span<std::uint64_t>, ReduceOp) override { refuse(); }
  void allgather(std::span<const std::uint64_t>, std::span<std::uint64_t>) override { refuse(); }
  void gather(std::span<const std::uint64_t>, std::vector<std::uint64_t>&) override { refuse(); }

 protected:
  Request postSend(const void*, std::size_t bytes, int peer, int tag) override {
    return post(bytes, peer, tag, true);
  }
  Request postRecv(void*, std::size_t bytes, int peer, int tag) override {
    return post(bytes, peer, tag, false);
  }
  void complete(std::span<Request> requests) override {
    RankLog& log = logs_[static_cast<std::size_t>(rank_)];
    const int g = static_cast<int>(log.groupCount());
    for (Request& r : requests) {
      if (!r.active()) continue;
      const std::uint32_t i = static_cast<RecordingState*>(r.state())->op;
      log.ops[i].group = g;
      log.groupOps.push_back(i);
      r.state()->receivedBytes = log.ops[i].bytes;
    }
    log.groupEnd.push_back(static_cast<std::uint32_t>(log.groupOps.size()));
    log.reduceAfter.push_back(0);
    log.localAfter.push_back(0);
    log.latencyAfter.push_back(0);
  }

 private:
  Request post(std::size_t bytes, int peer, int tag, bool send) {
    RankLog& log = logs_[static_cast<std::size_t>(rank_)];
    COMMSIM_ENFORCE(log.ops.size() < std::numeric_limits<std::uint32_t>::max(),
                    "rank " << rank_ << " posted more operations than a schedule records");
    log.ops.push_back({bytes, peer, tag, static_cast<int>(log.groupCount()), -1, 0, send});
    return Request(std::make_unique<RecordingState>(static_cast<std::uint32_t>(log.ops.size() - 1)));
  }
  [[noreturn]] static void refuse() {
    throw Error("an algorithm's step used the control plane (barrier, allreduce, allgather, gather), "
                "which the cost model cannot record");
  }
  int ranks_;
  int rank_ = 0;
  std::vector<RankLog>& logs_;
};

// Buffers that hold nothing: the code's copies, scalings and reductions are only counted, as
// commsim-smpi's simulated memory charges them, and it watches the transport's sends as that does.
class RecordingMemory final : public MemorySpace, public Transport::BufferWatch {
 public:
  RecordingMemory(std::vector<RankLog>& logs, const MemoryCosts& costs) : logs_(logs), costs_(costs) {}
  void setRank(int r) { rank_ = r; }

  std::string_view name() const override { return "recording"; }
  bool isDevice() const override { return false; }
  void* allocate(std::size_t) override { return nullptr; }
  void release(void*) noexcept override {}
  void copy(void* dst, const void*, std::size_t bytes) override { local(dst, bytes); }
  void toHost(void*, const void*, std::size_t) override {}
  void fromHost(void*, const void*, std::size_t) override {}
  void add(void* dst, const void*, std::size_t count, DType t) override {
    pass(&RankLog::reduceAfter, costs_.reduce, dst, count * elementBytes(t));
  }
  // One fused pass, as host and device memory do it: a reduction into a third buffer, no copy.
  void sum(void* dst, const void*, const void*, std::size_t count, DType t) override {
    pass(&RankLog::reduceAfter, costs_.sum, dst, count * elementBytes(t));
  }
  void divide(void* dst, std::size_t count, DType t, double) override {
    pass(&RankLog::localAfter, costs_.scale, dst, count * elementBytes(t));
  }
  void sgdStep(void* w, const void*, std::size_t count, DType t, double, double) override {
    pass(&RankLog::reduceAfter, costs_.sgd, w, count * elementBytes(t));
  }
  void synchronize() override {}

  // A message to a rank of this host costs by the state of its bytes (the transport posts it
  // next, as ops[ops.size()]).
  void sending(const void* buf, std::size_t bytes, int peer) override {
    const double extra = log().lines.send(buf, bytes, sameHost(peer), costs_.sendWritten, costs_.sendUnwritten);
    if (extra > 0) log().sendExtra.emplace_back(static_cast<std::uint32_t>(log().ops.size()), extra);
  }
  // This rank's copy of what arrives writes the buffer: over bytes a peer has read, it pays the
  // surcharge too (with the round the receive is posted in).
  void receiving(void* buf, std::size_t bytes) override {
    log().localAfter.back() += log().lines.write(buf, bytes, costs_.writeAfterSend);
  }
  // After the wait that completed it (the transport has opened the next group's slot), a
  // receive from a rank of this host costs this rank its latency as work.
  void received(int peer, std::size_t bytes) override {
    if (costs_.receiveWork.any() && sameHost(peer)) log().latencyAfter.back() += costs_.receiveWork.of(bytes);
  }

 private:
  RankLog& log() { return logs_[static_cast<std::size_t>(rank_)]; }
  bool sameHost(int peer) const {
    const int perHost = std::max(1, costs_.ranksPerHost);
    return peer / perHost == rank_ / perHost;
  }
  void local(void* dst, std::size_t bytes) { pass(&RankLog::localAfter, costs_.local, dst, bytes); }
  // A pass of `bytes` writing from `dst`: its cost, and the surcharge on the bytes a peer has read.
  void pass(std::vector<double> RankLog::*after, const PassCost& cost, void* dst, std::size_t bytes) {
    (log().*after).back() += cost.of(bytes) + log().lines.write(dst, bytes, costs_.writeAfterSend);
  }
  std::vector<RankLog>& logs_;
  const MemoryCosts& costs_;
  int rank_ = 0;
};

DType typeOfSize(std::size_t s) {
  for (DType t : {DType::Float32, DType::Float64, DType::Float16})
    if (elementBytes(t) == s) return t;
  throw UsageError("element size: " + std::to_string(s) + " bytes is not a type (allowed: 2, 4, 8)");
}

// Pairs every send with its receive: per (sender, receiver, tag), in posting order, as MPI's
// non-overtaking rule does.
void pairUp(std::vector<RankLog>& logs, const std::string& what) {
  std::unordered_map<std::uint64_t, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>>
      channels;
  const auto key = [](int src, int dst, int tag) {
    return (static_cast<std::uint64_t>(src) << 40) ^ (static_cast<std::uint64_t>(dst) << 16) ^
           static_cast<std::uint64_t>(static_cast<std::uint16_t>(tag));
  };
  for (std::size_t r = 0; r < logs.size(); ++r) {
    const int me = static_cast<int>(r);
    for (std::size_t i = 0; i < logs[r].ops.size(); ++i) {
      const Op& op = logs[r].ops[i];
      if (op.group < 0)
        throw Error(what + ": rank " + std::to_string(r) + " posted an operation it never waited for");
      auto& ch = channels[op.send ? key(me, op.peer, op.tag) : key(op.peer, me, op.tag)];
      (op.send ? ch.first : ch.second).push_back(i);
    }
  }
  for (std::size_t r = 0; r < logs.size(); ++r) {
    const int me = static_cast<int>(r);
    // Each send finds its receive by its position among the sends of its channel.
    std::unordered_map<std::uint64_t, std::size_t> seen;
    for (std::size_t i = 0; i < logs[r].ops.size(); ++i) {
      Op& op = logs[r].ops[i];
      if (!op.send) continue;
      const std::uint64_t k = key(me, op.peer, op.tag);
      const auto& ch = channels[k];
      const std::size_t nth = seen[k]++;
      if (ch.first.size() != ch.second.size())
        throw Error(what + ": rank " + std::to_string(me) + " sends " +
                    std::to_string(ch.first.size()) + " message(s) with tag " +
                    std::to_string(op.tag) + " to rank " + std::to_string(op.peer) +
                    ", which receives " + std::to_string(ch.second.size()));
      Op& recv = logs[static_cast<std::size_t>(op.peer)].ops[ch.second[nth]];
      if (recv.bytes != op.bytes)
        throw Error(what + ": rank " + std::to_string(me) + " sends " + std::to_string(op.bytes) +
                    " bytes to rank " + std::to_string(op.peer) + ", which receives " +
                    std::to_string(recv.bytes));
      op.partner = static_cast<std::uint32_t>(ch.second[nth]);
      recv.partner = static_cast<std::uint32_t>(i);
    }
  }
  for (auto& [k, ch] : channels)
    if (ch.first.size() != ch.second.size())
      throw Error(what + ": a receive has no matching send");

  // NCCL has no tags: between one pair, in one direction, messages match in posting order. The
  // pairing by tag above must be that same pairing, or the code would be right over MPI only.
  std::vector<std::unordered_map<int, std::size_t>> sentTo(logs.size()), receivedFrom(logs.size());
  std::vector<std::vector<std::size_t>> position(logs.size());
  for (std::size_t r = 0; r < logs.size(); ++r) {
    position[r].resize(logs[r].ops.size());
    for (std::size_t i = 0; i < logs[r].ops.size(); ++i) {
      const Op& op = logs[r].ops[i];
      position[r][i] = (op.send ? sentTo[r] : receivedFrom[r])[op.peer]++;
    }
  }
  for (std::size_t r = 0; r < logs.size(); ++r)
    for (std::size_t i = 0; i < logs[r].ops.size(); ++i) {
      const Op& op = logs[r].ops[i];
      if (op.send && position[r][i] != position[static_cast<std::size_t>(op.peer)][op.partner])
        throw Error(what + ": rank " + std::to_string(r) + "'s messages to rank " +
                    std::to_string(op.peer) +
                    " are received in another order than they are posted (tags reorder them; a "
                    "transport without tags, NCCL, would mismatch them)");
    }
}

}  // namespace

Schedule recordSchedule(const Paradigm& paradigm, const Layout& layout, std::uint64_t p,
                        std::size_t elementBytes, const MemoryCosts& costs) {
  const DType dtype = typeOfSize(elementBytes);
  const int ranks = layout.worldSize;
  const std::string what = "schedule of " + std::string(paradigm.name()) + " on " +
                           std::to_string(layout.workers) + " workers";
  std::vector<RankLog> logs(static_cast<std::size_t>(ranks));
  for (RankLog& log : logs) log.lines = LineStates(costs.statefulSends());
  RecordingTransport transport(ranks, logs);
  RecordingMemory memory(logs, costs);
  transport.setBufferWatch(&memory);
  // Buffers are never touched: three addresses 2^44 bytes apart, so that a pass's or a message's
  // address says which buffer and where in it (ByteRanges).
  const auto base = [](int k) { return reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(k + 1) << 44); };
  // With a surcharge for writing what peers have read, or sends priced by what was written, the
  // step is recorded twice and the second kept: a benchmark's steps follow steps, whose sends
  // leave the lines in the peers' caches, and whose writes in the rank's own.
  for (int step = 0; step < (costs.writeAfterSend.any() || costs.statefulSends() ? 2 : 1); ++step) {
    for (int r = 0; r < ranks; ++r) {
      logs[static_cast<std::size_t>(r)].restart();
      transport.setRank(r);
      memory.setRank(r);
      StepContext ctx{transport, memory, layout, dtype, p, kDefaultLearningRate,
                      base(0),   base(1), base(2)};
      paradigm.run(ctx);
    }
  }
  pairUp(logs, what);
  // Over shared memory the receiver copies each message, and what its bytes' state adds is that
  // copy's: the receiver's work after the wait that completed it, as a receive's latency is.
  for (const RankLog& log : logs) {
    for (const auto& [send, seconds] : log.sendExtra) {
      const Op& op = log.ops[send];
      RankLog& receiver = logs[static_cast<std::size_t>(op.peer)];
      receiver.latencyAfter[static_cast<std::size_t>(receiver.ops[op.partner].group) + 1] += seconds;
    }
  }

  // Rounds: level[r][g] is the round in which rank r's group g completes.
  std::vector<std::vector<int>> level(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r)
    level[static_cast<std::size_t>(r)].reserve(logs[static_cast<std::size_t>(r)].groupCount());
  const auto postedIn = [&](int r, int posted) {
    return posted == 0 ? 0 : level[static_cast<std::size_t>(r)][static_cast<std::size_t>(posted - 1)] + 1;
  };
  std::size_t done = 0, total = 0;
  for (const auto& log : logs) total += log.groupCount();
  while (done < total) {
    bool progress = false;
    for (int r = 0; r < ranks; ++r) {
      auto& log = logs[static_cast<std::size_t>(r)];
      auto& lv = level[static_cast<std::size_t>(r)];
      while (lv.size() < log.groupCount()) {
        const std::size_t g = lv.size();
        int round = g == 0 ? 0 : lv[g - 1];
        bool ready = true;
        for (std::uint32_t i : log.group(g)) {
          const Op& op = log.ops[i];
          const Op& other = logs[static_cast<std::size_t>(op.peer)].ops[op.partner];
          if (static_cast<std::size_t>(other.posted) > level[static_cast<std::size_t>(op.peer)].size()) {
            ready = false;
            break;
          }
          round = std::max({round, postedIn(r, op.posted), postedIn(op.peer, other.posted)});
        }
        if (!ready) break;
        lv.push_back(round);
        ++done;
        progress = true;
      }
    }
    // A group completes only once every operation in it has its partner posted, as NCCL's group
    // semantics demand: a rank whose group waits on a peer that first waits on this rank's later
    // group never completes there.
    if (!progress) throw Error(what + ": the code's waits deadlock");
  }

  Schedule s;
  s.ranks = ranks;
  s.sentBytes.assign(static_cast<std::size_t>(ranks), 0);
  s.receivedBytes.assign(static_cast<std::size_t>(ranks), 0);
  std::size_t sends = 0;
  for (const auto& log : logs)
    for (const Op& op : log.ops) sends += op.send ? 1 : 0;
  s.messages.reserve(sends);
  for (int r = 0; r < ranks; ++r) {
    const auto& log = logs[static_cast<std::size_t>(r)];
    for (const Op& op : log.ops) {
      if (!op.send) {
        s.receivedBytes[static_cast<std::size_t>(r)] += op.bytes;
        continue;
      }
      const Op& other = logs[static_cast<std::size_t>(op.peer)].ops[op.partner];
      const int round = std::max(postedIn(r, op.posted), postedIn(op.peer, other.posted));
      s.messages.push_back({r, op.peer, op.tag, round, op.bytes});
      s.sentBytes[static_cast<std::size_t>(r)] += op.bytes;
      s.rounds = std::max(s.rounds, round + 1);
    }
  }
  // Per round, the longest any rank reduced (or copied) in it: what it did before its first wait
  // (all-to-all's copy of the gradient into the result) counts with round 0, and what it did
  // after each wait with that wait's round. One rank's passes in one round add up (the copy
  // before round 0 and the add after it are both its work); across ranks the slowest counts.
  // Where a host's memory is shared, its ranks' passes of one round share it first, and so does
  // the work of their receives' latencies (MemoryCosts::receiveWork).
  constexpr std::array<std::vector<double> RankLog::*, 3> kWork{
      &RankLog::reduceAfter, &RankLog::localAfter, &RankLog::latencyAfter};
  std::array<std::vector<double>*, 3> out{&s.reduceSeconds, &s.localSeconds, &s.latencySeconds};
  const int perHost = costs.parallelism > 0 ? std::max(1, costs.ranksPerHost) : 1;
  // work[i][kind][round]: member i's seconds of each kind of work in each round.
  std::vector<std::array<std::vector<double>, 3>> work(static_cast<std::size_t>(perHost));
  const auto byRound = [&](int r, std::vector<double> RankLog::*after, std::vector<double>& mine) {
    const auto& seconds = logs[static_cast<std::size_t>(r)].*after;
    const auto& lv = level[static_cast<std::size_t>(r)];
    mine.clear();
    for (std::size_t g = 0; g < seconds.size(); ++g) {
      if (seconds[g] <= 0) continue;
      const auto round = static_cast<std::size_t>(g == 0 ? 0 : lv[g - 1]);
      if (round >= mine.size()) mine.resize(round + 1, 0);
      mine[round] += seconds[g];
    }
  };
  const auto slowest = [](const std::vector<double>& mine, std::vector<double>& into) {
    if (mine.size() > into.size()) into.resize(mine.size(), 0);
    for (std::size_t round = 0; round < mine.size(); ++round) into[round] = std::max(into[round], mine[round]);
  };
  const auto allWork = [](const std::array<std::vector<double>, 3>& mine, std::size_t round) {
    return mine[0][round] + mine[1][round] + mine[2][round];
  };
  std::vector<std::pair<double, std::size_t>> passing;  // (seconds alone, member) in one round
  for (int first = 0; first < ranks; first += perHost) {
    const auto members = static_cast<std::size_t>(std::min(perHost, ranks - first));
    std::size_t rounds = 0;
    for (std::size_t i = 0; i < members; ++i) {
      std::size_t mine = 0;
      for (std::size_t kind = 0; kind < kWork.size(); ++kind) {
        byRound(first + static_cast<int>(i), kWork[kind], work[i][kind]);
        mine = std::max(mine, work[i][kind].size());
      }
      for (auto& v : work[i]) v.resize(mine, 0);
      rounds = std::max(rounds, mine);
    }
    for (std::size_t round = 0; members > 1 && round < rounds; ++round) {
      passing.clear();
      for (std::size_t i = 0; i < members; ++i)
        if (round < work[i][0].size() && allWork(work[i], round) > 0)
          passing.emplace_back(allWork(work[i], round), i);
      if (static_cast<double>(passing.size()) <= costs.parallelism) continue;
      // Equal shares of `parallelism` full-speed passes, none faster than alone: the shortest
      // finishes first and the rest speed up, as SimGrid shares a host's cores.
      std::sort(passing.begin(), passing.end());
      double clock = 0, doneEach = 0;
      for (std::size_t k = 0; k < passing.size(); ++k) {
        const auto [alone, i] = passing[k];
        const double rate = std::min(1.0, costs.parallelism / static_cast<double>(passing.size() - k));
        clock += (alone - doneEach) / rate;
        doneEach = alone;
        for (auto& v : work[i]) v[round] *= clock / alone;
      }
    }
    for (std::size_t i = 0; i < members; ++i)
      for (std::size_t kind = 0; kind < kWork.size(); ++kind) slowest(work[i][kind], *out[kind]);
  }
  for (const auto* v : out) s.rounds = std::max(s.rounds, static_cast<int>(v->size()));
  for (auto* v : out) v->resize(static_cast<std::size_t>(s.rounds), 0);
  // By round, senders in order within one (a counting sort: stable, and linear in the messages,
  // which a 1024-rank ring has two million of).
  s.roundBegin.assign(static_cast<std::size_t>(s.rounds) + 1, 0);
  for (const ScheduledMessage& m : s.messages) ++s.roundBegin[static_cast<std::size_t>(m.round) + 1];
  for (std::size_t r = 0; r < static_cast<std::size_t>(s.rounds); ++r) s.roundBegin[r + 1] += s.roundBegin[r];
  std::vector<ScheduledMessage> sorted(s.messages.size());
  std::vector<std::size_t> next(s.roundBegin.begin(), s.roundBegin.end() - 1);
  for (const ScheduledMessage& m : s.messages) sorted[next[static_cast<std::size_t>(m.round)]++] = m;
  s.messages = std::move(sorted);
  return s;
}

}  // namespace commsim
