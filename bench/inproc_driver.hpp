// Drives one paradigm's steps on in-process ranks from a Google Benchmark loop. Rank 0's thread
// advances the benchmark state and tells the other ranks, over the uncounted control plane,
// whether another step follows; each step starts after a barrier and ends when the slowest rank
// is done (a second barrier), and that time is the step's (manual time, SPEC §3).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "commsim/harness.hpp"
#include "commsim/inproc.hpp"
#include "commsim/trace.hpp"

namespace commsim::benchdrive {

struct DriveResult {
  Counters counters;  // summed over ranks and steps
  std::uint64_t steps = 0;
};

// p = bytes / 4 float32 elements, n workers (plus the dedicated servers the paradigm needs).
// tracing: every rank records its messages into a Tracer (--trace), each step a traced step.
inline DriveResult drive(benchmark::State& state, const Paradigm& paradigm, int workers,
                         std::uint64_t bytes, bool counting = true, bool tracing = false) {
  const DType dtype = DType::Float32;
  const std::uint64_t count = bytes / elementBytes(dtype);
  const Layout layout = layoutFor(workers + paradigm.dedicatedServers(), {&paradigm});
  DriveResult result;
  runInProcess(layout.worldSize, [&](Transport& t) {
    StepBuffers buffers(hostMemory(), count, dtype);
    prepareStep(paradigm, layout, t.rank(), buffers, count, dtype, kDefaultLearningRate);
    StepContext ctx =
        makeContext(t, hostMemory(), layout, buffers, count, dtype, kDefaultLearningRate);
    t.setCounting(counting);
    t.resetCounters();
    Tracer tracer(t.rank(), t.size());
    if (tracing) t.setTracer(&tracer);
    std::uint64_t steps = 0;
    for (;;) {
      std::uint64_t more[] = {t.rank() == 0 && state.KeepRunning() ? 1u : 0u};
      t.allreduce(more, ReduceOp::Max);
      if (!more[0]) break;
      if (tracing) tracer.beginStep(paradigm.name());
      t.barrier();
      const auto start = std::chrono::steady_clock::now();
      paradigm.run(ctx);
      t.barrier();
      if (t.rank() == 0)
        state.SetIterationTime(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      ++steps;
    }
    t.setTracer(nullptr);
    const Counters total = t.globalCounters();
    if (t.rank() == 0) {
      result.counters = total;
      result.steps = steps;
    }
  });
  const double bytesPerStep = static_cast<double>(count * elementBytes(dtype));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytesPerStep));
  state.counters["busbw"] = benchmark::Counter(bytesPerStep * paradigm.busbwFactor(layout),
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  if (result.steps)
    state.counters["messages/step"] =
        static_cast<double>(result.counters.messagesSent) / static_cast<double>(result.steps);
  return result;
}

}  // namespace commsim::benchdrive
