// A paradigm (an algorithm) is one way to synchronise gradients, written once against Transport and
// MemorySpace. Adding one means one file that implements this interface (its code, its closed
// forms, its alpha-beta cost) and one line in the registry (commsim/algorithms.hpp); the harness,
// the cost model (which records the algorithm's own messages) and the simulator do the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/dtype.hpp"
#include "commsim/memory.hpp"
#include "commsim/transport.hpp"

namespace commsim {

// Which ranks do what. Workers are ranks [0, workers); dedicated servers follow them; any
// remaining ranks idle. When a parameter server takes part in a run, its ranks are reserved for
// every paradigm of that run, so all rows compare the same n (SPEC §1, process layout).
struct Layout {
  int worldSize = 1;
  int workers = 1;
  int servers = 0;  // dedicated server ranks, after the workers
  // Workers per host as the launcher placed them (consecutive ranks share a host); 0 when the
  // placement is unknown or uneven. Hierarchical algorithms group workers by it.
  int workersPerHost = 0;

  bool isWorker(int rank) const { return rank < workers; }
  bool isServer(int rank) const { return rank >= workers && rank < workers + servers; }
  int serverRank(int shard) const { return workers + shard; }
};

// The closed form of one step, for the counts the transport must observe.
struct Expectation {
  // False for a baseline (a library's own collective, e.g. MPI_Allreduce): its messages never pass
  // Transport::isend, so there is no formula to hold and the transport must count nothing at all.
  bool counted = true;
  std::uint64_t messages = 0;
  std::uint64_t totalBytes = 0;
  std::uint64_t minMessageBytes = 0;
  std::uint64_t maxMessageBytes = 0;
  std::uint64_t emptyMessages = 0;
  std::string messagesFormula;  // e.g. "n(n-1)"
  std::string bytesFormula;     // e.g. "n(n-1)*p*s"
};

// The closed form of a step whose every message carries the whole gradient (p*s bytes): all of
// them are empty when p = 0, and no message size is seen when none is sent.
Expectation wholeGradientMessages(std::uint64_t messages, std::uint64_t p, std::size_t s,
                                  std::string messagesFormula, std::string bytesFormula);

// The closed form of a step that sends each part of Partition{p, parts} `times` times (ring and
// direct: n parts, 2(n-1) times; binary-tree: K segments, 2(n-1) times): parts*times messages of
// floor(p/parts)..ceil(p/parts) elements, times*p*s bytes, empty parts still sent.
Expectation partitionedMessages(std::uint64_t parts, std::uint64_t times, std::uint64_t p,
                                std::size_t s, std::string messagesFormula,
                                std::string bytesFormula);

// What every worker holds after the step.
enum class Outcome {
  Mean,           // the mean of the n gradients
  SgdParameters,  // w - lr * mean(g), the parameters after one SGD step
};

// Everything one rank's step works on. Buffers are p elements each, in `memory`.
struct StepContext {
  Transport& transport;
  MemorySpace& memory;
  Layout layout;
  DType dtype;
  std::uint64_t count;  // p
  double lr;            // SGD learning rate (parameter server)
  void* grad;     // this worker's gradient; may be consumed when consumesGradient()
  void* out;      // workers: the result; servers: the parameters they own, updated in place
  void* scratch;  // p elements of working space

  std::size_t elementSize() const { return elementBytes(dtype); }
  std::byte* at(void* base, std::uint64_t element) const {
    return static_cast<std::byte*>(base) + element * elementSize();
  }
};

// The alpha-beta cost of one step on a single flat link of latency alpha and bandwidth B, with a
// reduction cost gamma per byte (SPEC §4), as this algorithm's code sends and reduces:
//   T = alphas*alpha + bandwidthUnits*p*s/B + reduceUnits*p*s*gamma
// alphas counts the dependent rounds of messages, bandwidthUnits the p*s units that the busiest
// endpoint must move one after the other, reduceUnits those the busiest reducer sums. `formula`
// says the same in words for the output and docs/algorithms.md.
struct AlphaBeta {
  double alphas = 0;
  double bandwidthUnits = 0;
  double reduceUnits = 0;
  std::string formula;
};

// Tags keep the phases of one step apart, and the steps from calibrate's own exchanges.
enum Tag : int { kTagGradient = 100, kTagParameters = 101, kTagReduceScatter = 102,
                 kTagAllGather = 103, kTagFold = 104, kTagUnfold = 105, kTagExchange = 106,
                 kTagReduce = 107, kTagBroadcast = 108, kTagInterHost = 109,
                 kTagCalibrate = 110 };

class Paradigm {
 public:
  virtual ~Paradigm() = default;

  virtual std::string_view name() const = 0;       // "all-to-all", "parameter-server", ...
  // e.g. "sharded k=2", "co-located", "G=8 H=2": what shapes this run of it, on this layout.
  virtual std::string variant(const Layout& /*layout*/) const { return ""; }
  virtual Outcome outcome() const { return Outcome::Mean; }
  virtual bool consumesGradient() const { return false; }
  // Dedicated ranks it needs beyond the workers.
  virtual int dedicatedServers() const { return 0; }
  // Whether this rank starts the step holding model parameters (in `out`).
  virtual bool ownsParameters(const Layout& /*layout*/, int /*rank*/) const { return false; }

  // The closed form for n = layout.workers, p elements of s bytes.
  virtual Expectation expect(const Layout& layout, std::uint64_t p, std::size_t s) const = 0;
  // Bytes sent by the busiest endpoint divided by p*s (SPEC §3), for busbw.
  virtual double busbwFactor(const Layout& layout) const = 0;
  // The closed-form cost on one flat link (SPEC §4); the cost model on a topology instead lays the
  // algorithm's recorded messages on the links (commsim/schedule.hpp), and on a flat link the two
  // agree (tests/model_test.cpp).
  // Every registered algorithm states one (tests/model_test.cpp); a library's baseline has none.
  virtual AlphaBeta alphaBeta(const Layout& /*layout*/) const { return {}; }
  // Throws UsageError when the algorithm cannot run on this layout (e.g. a group size that does
  // not divide n). Every rank calls it before any data moves.
  virtual void validate(const Layout& /*layout*/) const {}
  // The [offset, offset+count) range of `out` this rank checks after the step.
  virtual std::pair<std::uint64_t, std::uint64_t> checkedRange(const Layout& layout, int rank,
                                                               std::uint64_t p) const;

  // One synchronisation step on this rank. Ranks that take no part return at once.
  virtual void run(StepContext& ctx) const = 0;
};

// Each algorithm's file defines its factory; the registry (commsim/algorithms.hpp) lists them.
std::unique_ptr<Paradigm> makeAllToAll();
std::unique_ptr<Paradigm> makeParameterServer(int shards = 1);  // k dedicated server ranks
std::unique_ptr<Paradigm> makeParameterServerColocated();        // server on worker 0
std::unique_ptr<Paradigm> makeRingAllreduce();

}  // namespace commsim
