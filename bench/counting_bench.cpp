// What counting costs. Counting happens in Transport::isend and Transport::waitAll, once per
// message; switching it off (Transport::setCounting, which exists for this measurement) leaves
// the rest of the data plane as it is.
//
// - BM_RingStep/counting:{0,1}: a 1 MiB ring all-reduce step on 4 in-process ranks, without and
//   with counting. The difference is far below the step's run-to-run noise.
// - BM_CountOneMessage: the bookkeeping of one message, its send and its receive, alone. A rank
//   of a ring step sends and receives 2(n-1) messages, so 2(n-1) times this is the cost of
//   counting per step, to set beside BM_RingStep's time.
// - BM_RingStepTracing/tracing:{0,1}: the counted step without and with --trace's recording.
// - BM_TraceOneMessage: what --trace adds to one message, its send and its receive: the clock
//   read when each is posted and when their wait returns, and the two events recorded
//   (Transport::isend, irecv, waitAll with a Tracer set; docs/trace.md).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>

#include "commsim/trace.hpp"
#include "commsim/transport.hpp"
#include "inproc_driver.hpp"

namespace {

constexpr int kWorkers = 4;
constexpr std::uint64_t kStepBytes = 1 << 20;

void BM_RingStep(benchmark::State& state) {
  const auto ring = commsim::makeRingAllreduce();
  commsim::benchdrive::drive(state, *ring, kWorkers, kStepBytes, state.range(0) != 0);
}
BENCHMARK(BM_RingStep)->ArgName("counting")->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

// The same step, counted, without and with --trace's recording.
void BM_RingStepTracing(benchmark::State& state) {
  const auto ring = commsim::makeRingAllreduce();
  commsim::benchdrive::drive(state, *ring, kWorkers, kStepBytes, true, state.range(0) != 0);
}
BENCHMARK(BM_RingStepTracing)->ArgName("tracing")->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_CountOneMessage(benchmark::State& state) {
  commsim::Counters counters;
  std::uint64_t bytes = kStepBytes / kWorkers;
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes);
    counters.recordSend(bytes);
    counters.recordReceive(bytes);
    benchmark::DoNotOptimize(counters);
  }
  // Seconds per 2(n-1) messages: the counting one rank does in a ring step.
  state.counters["per_ring_step_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) / (2.0 * (kWorkers - 1)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CountOneMessage);

void BM_TraceOneMessage(benchmark::State& state) {
  constexpr std::size_t kEvents = std::size_t{1} << 16;
  const auto clock = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  auto tracer = std::make_unique<commsim::Tracer>(0, 2, kEvents);
  tracer->beginStep("ring-allreduce");
  std::uint64_t bytes = kStepBytes / kWorkers;
  for (auto _ : state) {
    if (tracer->events().size() + 2 > kEvents) {  // a fresh tracer, so no event is dropped
      state.PauseTiming();
      tracer = std::make_unique<commsim::Tracer>(0, 2, kEvents);
      tracer->beginStep("ring-allreduce");
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(bytes);
    const std::int64_t send = tracer->posted(true, bytes, 1, 100, clock());
    const std::int64_t recv = tracer->posted(false, bytes, 1, 100, clock());
    const double done = clock();
    tracer->completed(send, done);
    tracer->completed(recv, done);
    tracer->waited();
    benchmark::DoNotOptimize(tracer->events().data());
  }
  state.counters["per_ring_step_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) / (2.0 * (kWorkers - 1)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TraceOneMessage);

}  // namespace

BENCHMARK_MAIN();
