// The transport moves bytes between ranks. Every message goes through Transport::isend, where it
// is counted, so every paradigm on every transport is counted the same way. Paradigm code never
// counts and never names MPI, NCCL or CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/dtype.hpp"

namespace commsim {

class Tracer;
class MemorySpace;
struct Layout;
struct BaselineOffer;  // commsim/baseline.hpp

// What one rank handed to the transport during a step.
struct Counters {
  std::uint64_t messagesSent = 0;
  std::uint64_t bytesSent = 0;
  std::uint64_t emptySent = 0;  // zero-byte messages, also counted in messagesSent
  std::uint64_t messagesReceived = 0;
  std::uint64_t bytesReceived = 0;
  std::uint64_t minMessageBytes = std::numeric_limits<std::uint64_t>::max();  // over sends
  std::uint64_t maxMessageBytes = 0;

  void recordSend(std::uint64_t bytes);
  void recordReceive(std::uint64_t bytes);
};

// Transport-specific state of one posted send or receive.
class RequestState {
 public:
  virtual ~RequestState() = default;
  bool isReceive = false;
  std::uint64_t receivedBytes = 0;  // set by the transport when a receive completes
  std::int64_t traceIndex = -1;     // its event in the transport's tracer, if traced
  int peer = -1;                    // a receive's sender
};

class Request {
 public:
  Request() = default;
  explicit Request(std::unique_ptr<RequestState> s) : state_(std::move(s)) {}
  bool active() const { return state_ != nullptr; }
  RequestState* state() const { return state_.get(); }
  void clear() { state_.reset(); }

 private:
  std::unique_ptr<RequestState> state_;
};

enum class ReduceOp { Sum, Min, Max };

class Transport {
 public:
  virtual ~Transport() = default;

  virtual std::string_view name() const = 0;  // "inproc", "mpi", "nccl"
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks sharing this rank's host, and this rank's index among them (GPU choice, memory checks).
  virtual int localRank() const = 0;
  virtual int localSize() const = 0;
  // How the payload moves: "host" (host buffers), and for device buffers "nccl", "cuda-aware"
  // (MPI takes device pointers) or "staged" (MPI through pinned host copies).
  virtual std::string_view dataPath() const { return "host"; }
  // One line for the output's header saying the same in words, with library and device; may be
  // empty.
  virtual std::string detail() const { return {}; }
  // This transport's library's own all-reduce (its table entry's baseline, commsim/baseline.hpp)
  // over its ranks on buffers in `memory`, or null and why not. Collective over every rank. A
  // transport whose library has none keeps this default: null, and no reason of its own.
  virtual BaselineOffer libraryAllreduce(const MemorySpace& memory, const Layout& layout);
  // Sums `count` elements of `send` on every rank into `recv` (the same buffer: in place) with
  // this transport's library's all-reduce, outside the counted data plane, and returns once the
  // result is in `recv`: the reference the GPU checks hold the NCCL transport to. A transport
  // that offers none keeps this default, which throws UsageError.
  virtual void libraryAllreduceSum(const void* send, void* recv, std::uint64_t count, DType dtype);

  // Data plane: counted. Buffers may be host or device memory, as the transport allows.
  //
  // The contract every algorithm relies on, and every transport keeps:
  // - Tags (commsim::Tag) name a step's phases, but algorithms must not rely on them to match:
  //   between one pair of ranks, in one direction, messages match in posting order (NCCL has no
  //   tags). A send and its receive name the same size.
  // - A wait completes exactly the requests it is given, all of them, and may complete them in
  //   any order; nothing is promised to progress before a wait that includes it.
  // - A transport may fuse the operations of one wait into one unit (NCCL: one group) that
  //   completes only when every peer has posted its side; an algorithm must therefore let every
  //   wait's partners be posted without that wait completing first. Sends may be rendezvous (the
  //   in-process transport: a send completes only when received).
  // - Zero-byte messages are sent and counted like any other.
  // recordSchedule (commsim/schedule.hpp) checks the first and third rule on every algorithm's
  // code (tests/model_test.cpp, Schedule.*); tests/conformance_test.cpp runs every algorithm over
  // every transport this machine has.
  Request isend(const void* buf, std::size_t bytes, int peer, int tag);
  Request irecv(void* buf, std::size_t bytes, int peer, int tag);
  // Completes every active request in the list (inactive ones are skipped) and clears them.
  void waitAll(std::span<Request> requests);
  void wait(Request& r) { waitAll(std::span<Request>(&r, 1)); }

  // Control plane: not counted, for the harness (agreement, time and counter reduction).
  virtual void barrier() = 0;
  virtual void allreduce(std::span<double> values, ReduceOp op) = 0;
  virtual void allreduce(std::span<std::uint64_t> values, ReduceOp op) = 0;
  // out[r * in.size() + i] = in[i] of rank r.
  virtual void allgather(std::span<const std::uint64_t> in, std::span<std::uint64_t> out) = 0;
  // Rank 0's `out` becomes every rank's `in`, in rank order; ranks may give different sizes.
  // `out` is left empty on the other ranks.
  virtual void gather(std::span<const std::uint64_t> in, std::vector<std::uint64_t>& out) = 0;

  // The clock steps are timed with, in seconds from an arbitrary origin. MPI's is MPI_Wtime,
  // which under SimGrid's SMPI is the simulated clock.
  virtual double now() const;
  // Whether every rank reads one and the same clock (threads of one process; SMPI's simulated
  // clock), so timelines need no offsets between ranks.
  virtual bool sharedClock() const { return false; }
  // Spends `seconds` as this rank's own work (a rank delayed on purpose, --delay-rank): a sleep,
  // and under SimGrid's SMPI simulated time, as the simulated reductions take it.
  virtual void compute(double seconds);

  Counters& counters() { return counters_; }
  void resetCounters() { counters_ = Counters{}; }
  // Counting is always on in commsim's commands; switching it off exists only to measure what
  // counting costs (bench/counting_bench.cpp). The data plane is otherwise unchanged.
  void setCounting(bool on) { counting_ = on; }
  bool counting() const { return counting_; }
  // Sums (min/max for the message sizes) this rank's counters over all ranks.
  Counters globalCounters();
  // Records every message on the data plane into `tracer` while set (null: tracing off, which
  // costs one test of this pointer per operation).
  void setTracer(Tracer* tracer) { tracer_ = tracer; }
  Tracer* tracer() const { return tracer_; }
  // While on, adds the time this rank spends in waits to waitSeconds(): what is left of a step is
  // the rank's own part (bench names the rank whose own part is longest, a straggler).
  void setTimingWaits(bool on) { timingWaits_ = on; }
  double waitSeconds() const { return waitSeconds_; }

  // Told of every buffer the data plane sends from or receives into, before the transport posts
  // it, and of every receive a wait completed: SimGrid's simulated memory prices a write to bytes
  // a peer has read and a send of bytes just written (ByteRanges), and a shared-memory receive's
  // latency as the receiver's work (Topology::receiveWork).
  class BufferWatch {
   public:
    virtual ~BufferWatch() = default;
    virtual void sending(const void* buf, std::size_t bytes, int peer) = 0;
    virtual void receiving(void* buf, std::size_t bytes) = 0;
    // Told of every receive a wait completed, after the wait: from whom, how many bytes.
    virtual void received(int /*peer*/, std::size_t /*bytes*/) {}
  };
  void setBufferWatch(BufferWatch* watch) { watch_ = watch; }

 protected:
  virtual Request postSend(const void* buf, std::size_t bytes, int peer, int tag) = 0;
  virtual Request postRecv(void* buf, std::size_t bytes, int peer, int tag) = 0;
  // Completes every active request, setting receivedBytes of each receive.
  virtual void complete(std::span<Request> requests) = 0;

 private:
  Counters counters_;
  bool counting_ = true;
  Tracer* tracer_ = nullptr;
  BufferWatch* watch_ = nullptr;
  bool timingWaits_ = false;
  double waitSeconds_ = 0;
};

}  // namespace commsim
