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
  int iterations = 20;  // timed steps
  int checks = 1;       // checked steps (fresh inputs, exact result), before the warm-up
  double lr = kDefaultLearningRate;
};

// Times of the timed steps. Each step's time is the slowest rank's (SPEC §3): every rank starts
// after a barrier, and the per-step times are reduced with max once, after the loop.
struct Timing {
  std::vector<double> perStep;
  double avg = 0;
  double min = 0;
  double max = 0;
};

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
// ones of `paradigm` on p = count elements, in buffers of at least count elements. Collective:
// every rank calls it with the same arguments.
BenchResult benchmarkStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, StepBuffers& buffers, std::uint64_t count,
                          DType dtype, const BenchSettings& settings);

// The message sizes of a sweep: minBytes, then times factor while at most maxBytes, as nccl-tests'
// -b, -e and -f. Throws UsageError naming the value when minBytes > maxBytes or factor < 2.
std::vector<std::uint64_t> sizeSweep(std::uint64_t minBytes, std::uint64_t maxBytes,
                                     std::uint64_t factor);

// This process's peak resident set size so far, in bytes (getrusage's ru_maxrss). Ranks that are
// threads of one process share it.
std::uint64_t peakResidentBytes();

}  // namespace commsim
