#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string>

#include "commsim/bench.hpp"
#include "commsim/error.hpp"

namespace commsim {

namespace {

Timing summarise(std::vector<double> perStep) {
  Timing t;
  if (!perStep.empty()) {
    t.avg = std::accumulate(perStep.begin(), perStep.end(), 0.0) / static_cast<double>(perStep.size());
    const auto [lo, hi] = std::minmax_element(perStep.begin(), perStep.end());
    t.min = *lo;
    t.max = *hi;
  }
  t.perStep = std::move(perStep);
  return t;
}

// The counts of one step from those of `steps` identical ones (exact when they match a formula).
Counters oneStep(Counters total, std::uint64_t steps) {
  total.messagesSent /= steps;
  total.bytesSent /= steps;
  total.emptySent /= steps;
  total.messagesReceived /= steps;
  total.bytesReceived /= steps;
  return total;
}

}  // namespace

BenchResult benchmarkStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, StepBuffers& buffers, std::uint64_t count,
                          DType dtype, const BenchSettings& settings) {
  COMMSIM_ENFORCE(settings.iterations >= 1 && settings.warmup >= 0 && settings.checks >= 0,
                  "iterations " << settings.iterations << ", warm-up " << settings.warmup
                                << ", checks " << settings.checks);
  BenchResult result;
  result.expected = paradigm.expect(layout, count, elementBytes(dtype));
  result.countsOk = true;
  for (int i = 0; i < settings.checks; ++i) {
    const StepResult r =
        runCheckedStep(paradigm, transport, memory, layout, buffers, count, dtype, settings.lr);
    if (i == 0) result.counters = r.counters;
    result.countsOk = result.countsOk && r.countsMatch();
    result.wrong += r.wrong;
  }
  result.checkedSteps = settings.checks;

  // Without a checked step the buffers still hold whatever came before: give the steps real inputs.
  if (settings.checks == 0)
    prepareStep(paradigm, layout, transport.rank(), buffers, count, dtype, settings.lr);
  StepContext ctx = makeContext(transport, memory, layout, buffers, count, dtype, settings.lr);
  for (int i = 0; i < settings.warmup; ++i) {
    paradigm.run(ctx);
    memory.synchronize();
  }

  transport.resetCounters();
  std::vector<double> times(static_cast<std::size_t>(settings.iterations));
  for (double& time : times) {
    transport.barrier();
    const auto start = std::chrono::steady_clock::now();
    paradigm.run(ctx);
    memory.synchronize();
    time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const Counters timed = transport.globalCounters();
  transport.allreduce(times, ReduceOp::Max);

  const auto steps = static_cast<std::uint64_t>(settings.iterations);
  result.countsOk = result.countsOk && countsMatch(timed, result.expected, steps);
  if (settings.checks == 0) result.counters = oneStep(timed, steps);
  result.time = summarise(std::move(times));
  return result;
}

std::vector<std::uint64_t> sizeSweep(std::uint64_t minBytes, std::uint64_t maxBytes,
                                     std::uint64_t factor) {
  if (minBytes == 0)
    throw UsageError("minbytes: 0 is not allowed (the smallest size is at least 1 byte)");
  if (minBytes > maxBytes)
    throw UsageError("minbytes: " + std::to_string(minBytes) + " is larger than maxbytes " +
                     std::to_string(maxBytes) + " (-b must be at most -e)");
  if (factor < 2)
    throw UsageError("stepfactor: " + std::to_string(factor) +
                     " is not allowed (2 or more: each size is the previous one times the factor)");
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t size = minBytes;; size *= factor) {
    sizes.push_back(size);
    if (size > maxBytes / factor) break;
  }
  return sizes;
}

std::uint64_t peakResidentBytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace commsim
