// One training step's communication, run for real (SPEC §11): every rank lets its modelled
// compute pass (forward, then backward tensor by tensor) and synchronises each bucket with the
// algorithm as soon as the bucket is full, in bucket order, while the rest of backward goes on.
//
// Compute is emulated, as an accelerator's would run: the host does not compute, it only waits
// for the moment a bucket's last gradient is ready, so it is free to drive the communication
// meanwhile. A bucket still synchronising when the next is full delays that one (buckets share
// one network, in order), which is what the cost model assumes too (commsim/workload.hpp,
// queueBuckets). Each bucket is one counted, checked step of its elements: its counts are set
// against the algorithm's closed form and its values checked as in `commsim table`.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "commsim/harness.hpp"
#include "commsim/workload.hpp"

namespace commsim {

// How a rank lets `seconds` of modelled compute pass: the host's clock sleeps; under SimGrid the
// simulated clock advances.
using ComputeWait = std::function<void(double seconds)>;
void sleepOnHost(double seconds);

struct TrainBucketResult {
  Bucket bucket;
  Counters counters;        // summed over ranks and iterations (min and max over them)
  Expectation expected;     // for one synchronisation of this bucket
  std::uint64_t wrong = 0;  // summed over ranks and iterations
  BucketSpan span;          // from the step's start, the slowest rank's, averaged over iterations
  bool countsMatch(int iterations) const {
    return commsim::countsMatch(counters, expected, static_cast<std::uint64_t>(iterations));
  }
};

struct TrainResult {
  std::vector<TrainBucketResult> buckets;
  int iterations = 0;
  double computeS = 0;
  StepTimes step;             // from computeS and the buckets' average spans
  double measuredStepS = 0;   // the slowest rank's step, barrier to last bucket, averaged
  bool valuesChecked = true;
  bool ok() const;
};

// Runs `iterations` timed steps (after `warmups` untimed ones) of the workload's buckets on this
// rank. Collective. Buffers: the gradient and the result, p elements each, and one bucket of
// scratch (SPEC §8).
TrainResult runTrainingSteps(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                             const Layout& layout, DType dtype, std::uint64_t params,
                             const std::vector<Bucket>& buckets, const ComputeTimeline& compute,
                             int iterations, const ComputeWait& wait,
                             ValueCheck check = ValueCheck::Exact, int warmups = 1);

}  // namespace commsim
