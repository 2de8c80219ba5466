// The benchmark harness, in the manner of nccl-tests: one shared piece does the checked steps,
// the warm-up, the barrier before each timed step, the timing, the cross-rank reduction of times
// and the count check; a paradigm (or a baseline) only describes itself (paradigm.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "commsim/harness.hpp"

namespace commsim {

struct BenchSettings {
  int warmup = 5;       // untimed steps before the timed ones
  int iterations = 20;  // timed steps: at least these
  int checks = 1;       // checked steps (fresh inputs, exact result), before the warm-up
  double lr = kDefaultLearningRate;
  // With a tracer on the transport: trace the warm-up and timed steps too, not only the checked
  // ones (which keeps a sweep's trace small and its timed steps untouched).
  bool traceAll = false;
  StepDelay delay;  // --delay-rank, in every checked, warm-up and timed step
  // When > 0, more timed steps than `iterations` until they last this many seconds in all (up to
  // kMostTimedSteps): short steps measured over a window long enough that the machine's passing
  // states average out, as Google Benchmark's min_time and OSU's many small-message iterations
  // do (docs/bench.md).
  double minTimeS = 0;
};

// Times of the timed steps. Each step's time is the slowest rank's (SPEC §3): every rank starts
// after a barrier, and every rank's per-step times are gathered once, after the loop.
struct Timing {
  std::vector<double> perStep;
  double avg = 0;
  double min = 0;
  double max = 0;
  // Nearest-rank percentiles of perStep: the smallest time at least p% of the steps do not exceed.
  double p50 = 0;
  double p99 = 0;
  // Per timed step, the slowest rank: the one whose own part of the step (its time outside the
  // transport's waits: posting, copies, reductions, any --delay-rank) was longest, the lowest
  // rank on a tie. The others spend that difference waiting for it.
  std::vector<int> slowestRank;
  // The rank slowest most often, and in how many steps.
  int mostOftenSlowest = -1;
  int slowestSteps = 0;
  // Whether that rank was consistently slowest: in at least kStragglerShare of the steps, and
  // at least kStragglerMinSteps steps were timed (docs/bench.md, docs/trace.md).
  bool straggler = false;
};

inline constexpr double kMostMinTimeS = 60;
inline constexpr int kMostTimedSteps = 100000;

inline constexpr double kStragglerShare = 0.75;
inline constexpr int kStragglerMinSteps = 10;

// The statistics above from every rank's time of every step: perRank[r * steps + i] is rank r's
// time of step i, ownPart[r * steps + i] the part of it rank r spent outside waits.
Timing summariseSteps(const std::vector<double>& perRank, const std::vector<double>& ownPart,
                      int ranks);

struct BenchResult {
  Counters counters;  // one step's, summed over ranks: the first checked step's, or the timed
                      // steps' totals divided by their number when no step is checked
  Expectation expected;
  bool countsOk = false;    // every checked step, and the timed steps together, equal the formulas
  std::uint64_t wrong = 0;  // wrong elements over ranks and checked steps
  int checkedSteps = 0;
  Timing time;
  bool ok() const { return countsOk && wrong == 0; }
};

// Runs settings.checks checked steps, settings.warmup untimed ones, then settings.iterations timed
// ones (and more, under a minTimeS) of `paradigm` on p = count elements, in buffers of at least
// count elements. Collective: every rank calls it with the same arguments.
BenchResult benchmarkStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, StepBuffers& buffers, std::uint64_t count,
                          DType dtype, const BenchSettings& settings);

// Under a least time: after `done` timed steps that lasted `spentS` in all (the slowest rank's
// sum), how many more to time. 0 once they last minTimeS or number kMostTimedSteps; else the
// steps missing at the average so far, at least 1, within kMostTimedSteps in all.
int moreTimedSteps(int done, double minTimeS, double spentS);

// The message sizes of a sweep: minBytes, then times factor while at most maxBytes, as nccl-tests'
// -b, -e and -f. Throws UsageError naming the value when minBytes > maxBytes or factor < 2.
std::vector<std::uint64_t> sizeSweep(std::uint64_t minBytes, std::uint64_t maxBytes,
                                     std::uint64_t factor);

// This process's peak resident set size so far, in bytes (getrusage's ru_maxrss). Ranks that are
// threads of one process share it.
std::uint64_t peakResidentBytes();

}  // namespace commsim
