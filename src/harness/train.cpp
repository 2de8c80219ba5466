#include "commsim/train.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>

#include "commsim/error.hpp"
#include "core/progress.hpp"

namespace commsim {

void sleepOnHost(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

bool TrainResult::ok() const {
  return std::all_of(buckets.begin(), buckets.end(), [&](const TrainBucketResult& b) {
    return b.countsMatch(iterations) && b.wrong == 0;
  });
}

namespace {

void accumulate(Counters& into, const Counters& c) {
  into.messagesSent += c.messagesSent;
  into.bytesSent += c.bytesSent;
  into.emptySent += c.emptySent;
  into.messagesReceived += c.messagesReceived;
  into.bytesReceived += c.bytesReceived;
  into.minMessageBytes = std::min(into.minMessageBytes, c.minMessageBytes);
  into.maxMessageBytes = std::max(into.maxMessageBytes, c.maxMessageBytes);
}

// Lets modelled compute pass until `deadline` on the transport's clock, in slices each counted as
// progress, so the watchdog (--timeout) never mistakes a long backward for a stalled peer.
void computeUntil(Transport& t, const ComputeWait& wait, double deadline,
                  std::string_view algorithm) {
  constexpr double kSlice = 1.0;
  for (double left = deadline - t.now(); left > 0; left = deadline - t.now()) {
    progress::enter("train: emulated compute until the bucket is full", algorithm);
    wait(std::min(left, kSlice));
  }
}

// Every bucket's counters summed over ranks, in three collectives for all buckets.
void reduceCounters(Transport& t, std::vector<Counters>& counters) {
  constexpr std::size_t kSums = 5;
  std::vector<std::uint64_t> sums, lo, hi;
  for (const Counters& c : counters) {
    sums.insert(sums.end(), {c.messagesSent, c.bytesSent, c.emptySent, c.messagesReceived,
                             c.bytesReceived});
    lo.push_back(c.minMessageBytes);
    hi.push_back(c.maxMessageBytes);
  }
  t.allreduce(sums, ReduceOp::Sum);
  t.allreduce(lo, ReduceOp::Min);
  t.allreduce(hi, ReduceOp::Max);
  for (std::size_t b = 0; b < counters.size(); ++b) {
    Counters& c = counters[b];
    c.messagesSent = sums[b * kSums];
    c.bytesSent = sums[b * kSums + 1];
    c.emptySent = sums[b * kSums + 2];
    c.messagesReceived = sums[b * kSums + 3];
    c.bytesReceived = sums[b * kSums + 4];
    // As Transport::globalCounters: no message seen, no smallest size.
    c.minMessageBytes = c.messagesSent ? lo[b] : 0;
    c.maxMessageBytes = hi[b];
  }
}

}  // namespace

TrainResult runTrainingSteps(const Paradigm& paradigm, Transport& t, MemorySpace& memory,
                             const Layout& layout, DType dtype, std::uint64_t params,
                             const std::vector<Bucket>& buckets, const ComputeTimeline& compute,
                             int iterations, const ComputeWait& wait, ValueCheck check,
                             int warmups) {
  COMMSIM_ENFORCE(iterations >= 1, "iterations " << iterations);
  const int rank = t.rank();
  const bool exact = check == ValueCheck::Exact;
  const std::size_t s = elementBytes(dtype);
  const double lr = kDefaultLearningRate;
  std::uint64_t largest = 0;
  for (const Bucket& b : buckets) largest = std::max(largest, b.elements);
  progress::enter("train setup", paradigm.name());
  // Unchecked (SimGrid's shared buffers, whose contents mean nothing), every bucket may use the
  // same memory: one bucket's worth, not the model's.
  const std::uint64_t held = exact ? params : largest;
  StepBuffers buffers(memory, held, largest, dtype);
  const std::vector<double> ready = compute.bucketReadyS(buckets);

  const std::size_t nb = buckets.size();
  std::vector<Counters> counters(nb);
  std::vector<double> spanSum(2 * nb, 0.0);
  std::vector<std::uint64_t> wrong(nb, 0);
  double stepSum = 0;
  for (int it = -warmups; it < iterations; ++it) {  // negative: the warm-ups
    if (exact) prepareStep(paradigm, layout, rank, buffers, params, dtype, lr);
    std::vector<Counters> local(nb);
    std::vector<double> spans(2 * nb + 1);
    progress::enter("train step start barrier", paradigm.name(), true);
    t.barrier();
    const double t0 = t.now();
    memory.occupy(compute.computeS);  // a GPU's compute stream: busy through backward
    for (std::size_t b = 0; b < nb; ++b) {
      computeUntil(t, wait, t0 + ready[b], paradigm.name());
      progress::enter("train: bucket synchronisation", paradigm.name());
      const Bucket& bucket = buckets[b];
      const std::uint64_t at = exact ? bucket.offset * s : 0;
      StepContext ctx{t, memory, layout, dtype, bucket.elements, lr,
                      static_cast<std::byte*>(buffers.grad.data()) + at,
                      static_cast<std::byte*>(buffers.out.data()) + at, buffers.scratch.data()};
      t.resetCounters();
      spans[2 * b] = t.now() - t0;
      paradigm.run(ctx);
      memory.synchronize();
      spans[2 * b + 1] = t.now() - t0;
      local[b] = t.counters();
    }
    // A rank whose buckets all ended early still computes until backward ends.
    computeUntil(t, wait, t0 + compute.computeS, paradigm.name());
    memory.finishOccupying();
    spans[2 * nb] = t.now() - t0;
    progress::enter("train step check (counters and result)", paradigm.name(), true);
    t.allreduce(spans, ReduceOp::Max);
    if (it < 0) continue;
    for (std::size_t b = 0; b < nb; ++b) {
      accumulate(counters[b], local[b]);
      spanSum[2 * b] += spans[2 * b];
      spanSum[2 * b + 1] += spans[2 * b + 1];
      if (exact)
        wrong[b] += countWrongIn(paradigm, layout, rank, buffers, buckets[b].offset,
                                 buckets[b].elements, dtype, lr);
    }
    stepSum += spans[2 * nb];
  }
  t.resetCounters();
  reduceCounters(t, counters);
  t.allreduce(wrong, ReduceOp::Sum);

  TrainResult r;
  r.iterations = iterations;
  r.computeS = compute.computeS;
  r.valuesChecked = exact;
  r.measuredStepS = stepSum / iterations;
  std::vector<BucketSpan> spans;
  for (std::size_t b = 0; b < nb; ++b) {
    TrainBucketResult br;
    br.bucket = buckets[b];
    br.counters = counters[b];
    br.expected = paradigm.expect(layout, buckets[b].elements, s);
    br.wrong = wrong[b];
    br.span = {spanSum[2 * b] / iterations, spanSum[2 * b + 1] / iterations};
    spans.push_back(br.span);
    r.buckets.push_back(std::move(br));
  }
  r.step = stepTimes(compute.computeS, spans);
  return r;
}

}  // namespace commsim
