// The shared harness pieces: buffers, traceable inputs, the check, and one timed, counted step.
//
// Inputs are chosen so the exact result is known whatever the order of summation: worker r's
// gradient is g_r[i] = a(i) + 2r - (n-1) with a(i) a small positive integer. The offsets sum to
// zero, so sum_r g_r[i] = n*a(i) exactly and the mean is a(i) exactly, in every dtype for the n
// and sizes used. Parameters start at c(i), and one SGD step with lr = 0.5 gives c(i) - a(i)/2,
// also exact.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/paradigm.hpp"

namespace commsim {

inline constexpr double kDefaultLearningRate = 0.5;

double gradientValue(int rank, int workers, std::uint64_t i);
double meanValue(std::uint64_t i);
double initialParameter(std::uint64_t i);
double updatedParameter(std::uint64_t i, double lr);

// The three p-element buffers of one rank: 3*p*s bytes, the memory bound of SPEC §8.
struct StepBuffers {
  StepBuffers(MemorySpace& memory, std::uint64_t count, DType dtype);
  // A training step synchronises the gradient bucket by bucket: scratch holds one bucket.
  StepBuffers(MemorySpace& memory, std::uint64_t count, std::uint64_t scratchCount, DType dtype);
  Buffer grad, out, scratch;
};

// Fills the buffers before a step: gradients on workers, parameters on servers, and a poison
// value where the result will be, so a step that writes nothing cannot pass.
void prepareStep(const Paradigm& paradigm, const Layout& layout, int rank, StepBuffers& buffers,
                 std::uint64_t count, DType dtype, double lr);
// Counts wrong elements in this rank's checked range.
std::uint64_t countWrong(const Paradigm& paradigm, const Layout& layout, int rank,
                         const StepBuffers& buffers, std::uint64_t count, DType dtype, double lr);
// The same for elements [first, first+count) synchronised as one step of `count` elements (one
// bucket of a training step).
std::uint64_t countWrongIn(const Paradigm& paradigm, const Layout& layout, int rank,
                           const StepBuffers& buffers, std::uint64_t first, std::uint64_t count,
                           DType dtype, double lr);

StepContext makeContext(Transport& transport, MemorySpace& memory, const Layout& layout,
                        StepBuffers& buffers, std::uint64_t count, DType dtype, double lr);

// Whether counters summed over ranks and over `steps` identical steps equal the closed form:
// messages, bytes and empty messages `steps` times over, the same smallest and largest message,
// and everything sent also received. A baseline (not counted) must have sent nothing of ours.
bool countsMatch(const Counters& counters, const Expectation& expected, std::uint64_t steps = 1);

// One checked step, as `commsim table` runs it.
struct StepResult {
  Counters counters;        // summed over ranks
  Expectation expected;
  std::uint64_t wrong = 0;  // summed over ranks
  bool valuesChecked = true;
  double timeSeconds = 0;   // the slowest rank's time of the step, on transport.now()
  bool countsMatch() const { return commsim::countsMatch(counters, expected); }
  bool ok() const { return countsMatch() && wrong == 0; }
};

// --delay-rank R:SECONDS: rank R starts its part of every step this much later, a straggler on
// purpose (docs/trace.md). Real time on real ranks; simulated time under SMPI.
struct StepDelay {
  int rank = -1;  // none
  double seconds = 0;
};
// Parses "R:SECONDS" (R a rank, SECONDS a decimal from 0 to 3600); throws UsageError naming it.
StepDelay parseStepDelay(const std::string& text);
// Throws UsageError, alike on every rank, when the delayed rank is not one of `worldSize` ranks.
void ensureDelayedRankExists(const StepDelay& delay, int worldSize);
// One step of `paradigm` on this rank: the delay first, when this is the delayed rank.
void runStep(const Paradigm& paradigm, StepContext& ctx, const StepDelay& delay);

// Skip: no inputs written, no result read. For buffers whose contents mean nothing (SimGrid's
// shared allocations, where every simulated rank's buffer is the same memory); counts are still
// checked.
enum class ValueCheck { Exact, Skip };

StepResult runCheckedStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, std::uint64_t count, DType dtype,
                          double lr = kDefaultLearningRate, ValueCheck check = ValueCheck::Exact,
                          const StepDelay& delay = {});
// The same on buffers the caller keeps (at least `count` elements each), so a sweep allocates
// once for its largest size.
StepResult runCheckedStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, StepBuffers& buffers, std::uint64_t count,
                          DType dtype, double lr = kDefaultLearningRate,
                          ValueCheck check = ValueCheck::Exact, const StepDelay& delay = {});

// Layout for a run of these paradigms on `worldSize` ranks: the dedicated servers any of them
// needs come last and the rest are workers. Throws UsageError when fewer than one worker remains.
Layout layoutFor(int worldSize, const std::vector<const Paradigm*>& paradigms);

// The workers per host as the launcher placed them: G when workers 0..n-1 fall into n/G blocks of
// G consecutive ranks, each block on one host (hostId identifies this rank's host); 0 when the
// placement is uneven. Collective.
int placedWorkersPerHost(Transport& transport, int workers, std::uint64_t hostId);

// Refuses, on every rank alike, a p whose 3*p*s bytes per rank (SPEC §8) cannot fit in `memory`:
// the product overflows, or the ranks of some host together need more than its available host
// memory, or a rank needs more than its share of its GPU's free memory (availableBytes). `what`
// names the option that set p in the message.
void ensureFitsInMemory(Transport& transport, MemorySpace& memory, std::uint64_t count, DType dtype,
                        std::string_view what = "params");

// The most workers for which the inputs above stay exact in `dtype`: every partial sum of the n
// gradients is an integer of magnitude at most n*(n+12), which must fit the significand (bfloat16:
// 256, so n <= 11; float16: 2048, n <= 39; float32: n <= 4090).
int maxExactWorkers(DType dtype);
// Throws UsageError, before any data moves, when layout.workers exceeds maxExactWorkers(dtype):
// a check would then compare against a value the dtype cannot hold.
void ensureExactInputs(const Layout& layout, DType dtype);

// Throws UsageError naming the first rank whose values differ from rank 0's, before data moves.
// `what` names each value, e.g. {"params", "dtype"}; `show(i, v)`, if given, renders value i for
// the message (a dtype's name rather than its number).
using ShowValue = std::function<std::string(std::size_t index, std::uint64_t value)>;
void ensureRanksAgree(Transport& transport, std::span<const std::uint64_t> values,
                      std::span<const char* const> what, const ShowValue& show = {});

}  // namespace commsim
