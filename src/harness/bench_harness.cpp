#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>

#include "commsim/bench.hpp"
#include "commsim/error.hpp"
#include "commsim/trace.hpp"

namespace commsim {

namespace {

// The counts of one step from those of `steps` identical ones (exact when they match a formula).
Counters oneStep(Counters total, std::uint64_t steps) {
  total.messagesSent /= steps;
  total.bytesSent /= steps;
  total.emptySent /= steps;
  total.messagesReceived /= steps;
  total.bytesReceived /= steps;
  return total;
}

// Every rank's values, rank after rank.
std::vector<double> gatherTimes(Transport& transport, const std::vector<double>& mine) {
  std::vector<std::uint64_t> words(mine.size());
  std::vector<std::uint64_t> all(mine.size() * static_cast<std::size_t>(transport.size()));
  std::transform(mine.begin(), mine.end(), words.begin(),
                 [](double t) { return std::bit_cast<std::uint64_t>(t); });
  transport.allgather(words, all);
  std::vector<double> out(all.size());
  std::transform(all.begin(), all.end(), out.begin(),
                 [](std::uint64_t w) { return std::bit_cast<double>(w); });
  return out;
}

double nearestRank(const std::vector<double>& sorted, double percent) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::ceil(percent / 100 * n));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

Timing summariseSteps(const std::vector<double>& perRank, const std::vector<double>& ownPart,
                      int ranks) {
  COMMSIM_ENFORCE(ranks > 0 && perRank.size() % static_cast<std::size_t>(ranks) == 0 &&
                      ownPart.size() == perRank.size(),
                  perRank.size() << " times and " << ownPart.size() << " own parts for " << ranks
                                 << " ranks");
  const std::size_t steps = perRank.size() / static_cast<std::size_t>(ranks);
  Timing t;
  if (steps == 0) return t;
  std::vector<int> slowestCount(static_cast<std::size_t>(ranks), 0);
  for (std::size_t i = 0; i < steps; ++i) {
    const auto at = [&](int r) { return static_cast<std::size_t>(r) * steps + i; };
    int last = 0, slowest = 0;
    for (int r = 1; r < ranks; ++r) {
      if (perRank[at(r)] > perRank[at(last)]) last = r;
      if (ownPart[at(r)] > ownPart[at(slowest)]) slowest = r;
    }
    t.perStep.push_back(perRank[at(last)]);
    t.slowestRank.push_back(slowest);
    ++slowestCount[static_cast<std::size_t>(slowest)];
  }
  t.avg = std::accumulate(t.perStep.begin(), t.perStep.end(), 0.0) / static_cast<double>(steps);
  std::vector<double> sorted = t.perStep;
  std::sort(sorted.begin(), sorted.end());
  t.min = sorted.front();
  t.max = sorted.back();
  t.p50 = nearestRank(sorted, 50);
  t.p99 = nearestRank(sorted, 99);
  const auto most = std::max_element(slowestCount.begin(), slowestCount.end());
  t.mostOftenSlowest = static_cast<int>(most - slowestCount.begin());
  t.slowestSteps = *most;
  t.straggler = static_cast<int>(steps) >= kStragglerMinSteps &&
                *most >= kStragglerShare * static_cast<double>(steps);
  return t;
}

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
    const StepResult r = runCheckedStep(paradigm, transport, memory, layout, buffers, count, dtype,
                                        settings.lr, ValueCheck::Exact, settings.delay);
    if (i == 0) result.counters = r.counters;
    result.countsOk = result.countsOk && r.countsMatch();
    result.wrong += r.wrong;
  }
  result.checkedSteps = settings.checks;

  // Without a checked step the buffers still hold whatever came before: give the steps real inputs.
  if (settings.checks == 0)
    prepareStep(paradigm, layout, transport.rank(), buffers, count, dtype, settings.lr);
  StepContext ctx = makeContext(transport, memory, layout, buffers, count, dtype, settings.lr);
  Tracer* const tracer = settings.traceAll ? transport.tracer() : nullptr;
  Tracer* const untraced = settings.traceAll ? nullptr : transport.tracer();
  if (untraced) transport.setTracer(nullptr);
  for (int i = 0; i < settings.warmup; ++i) {
    if (tracer) tracer->beginStep(paradigm.name());
    runStep(paradigm, ctx, settings.delay);
    memory.synchronize();
  }

  transport.resetCounters();
  std::vector<double> times, own;
  transport.setTimingWaits(true);
  // -n steps, then, under a least time, more in batches until the slowest rank's timed steps
  // have lasted it: each batch as many as the steps so far say are missing, agreed by every rank.
  for (int batch = settings.iterations; batch > 0;) {
    for (int i = 0; i < batch; ++i) {
      if (tracer) tracer->beginStep(paradigm.name());
      transport.barrier();
      const double waited = transport.waitSeconds();
      const double start = transport.now();
      runStep(paradigm, ctx, settings.delay);
      memory.synchronize();
      times.push_back(transport.now() - start);
      own.push_back(times.back() - (transport.waitSeconds() - waited));
    }
    if (settings.minTimeS <= 0) break;
    double spent[] = {std::accumulate(times.begin(), times.end(), 0.0)};
    transport.allreduce(spent, ReduceOp::Max);
    batch = moreTimedSteps(static_cast<int>(times.size()), settings.minTimeS, spent[0]);
  }
  transport.setTimingWaits(false);
  if (untraced) transport.setTracer(untraced);
  const Counters timed = transport.globalCounters();
  const std::vector<double> perRank = gatherTimes(transport, times);
  const std::vector<double> ownPart = gatherTimes(transport, own);

  const auto timedCount = static_cast<std::uint64_t>(times.size());
  result.countsOk = result.countsOk && countsMatch(timed, result.expected, timedCount);
  if (settings.checks == 0) result.counters = oneStep(timed, timedCount);
  result.time = summariseSteps(perRank, ownPart, transport.size());
  return result;
}

int moreTimedSteps(int done, double minTimeS, double spentS) {
  if (spentS >= minTimeS || done >= kMostTimedSteps) return 0;
  // Steps too short for the clock to see: as many as may be.
  const double missing = spentS > 0 ? std::ceil((minTimeS - spentS) * done / spentS) : kMostTimedSteps;
  return static_cast<int>(std::clamp<double>(missing, 1, kMostTimedSteps - done));
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
