// The benchmark harness on in-process ranks: sizes of a sweep, per-step times reduced over ranks,
// counts checked in the checked steps and over the timed ones, and the peak RSS reading.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "commsim/algorithms.hpp"
#include "commsim/bench.hpp"
#include "commsim/error.hpp"
#include "commsim/inproc.hpp"

namespace commsim {
namespace {

TEST(SizeSweep, MultipliesUpToTheMaximum) {
  EXPECT_EQ(sizeSweep(8, 64, 2), (std::vector<std::uint64_t>{8, 16, 32, 64}));
  EXPECT_EQ(sizeSweep(8, 100, 4), (std::vector<std::uint64_t>{8, 32}));
  EXPECT_EQ(sizeSweep(5, 5, 2), (std::vector<std::uint64_t>{5}));
  const auto top = sizeSweep(1, ~std::uint64_t{0}, 2);  // no overflow at the top
  EXPECT_EQ(top.size(), 64u);
  EXPECT_EQ(top.back(), std::uint64_t{1} << 63);
  EXPECT_THROW(sizeSweep(64, 8, 2), UsageError);
  EXPECT_THROW(sizeSweep(8, 64, 1), UsageError);
  EXPECT_THROW(sizeSweep(8, 64, 0), UsageError);
  EXPECT_THROW(sizeSweep(0, 64, 2), UsageError);
}

// Runs benchmarkStep on every rank; returns rank 0's result (all ranks agree on it).
BenchResult benchOnRanks(const Paradigm& paradigm, int workers, std::uint64_t count,
                         const BenchSettings& settings) {
  const Layout layout = layoutFor(workers + paradigm.dedicatedServers(), {&paradigm});
  std::mutex m;
  BenchResult rank0;
  runInProcess(layout.worldSize, [&](Transport& t) {
    StepBuffers buffers(hostMemory(), count + 7, DType::Float32);  // larger than needed, as a sweep's
    BenchResult r = benchmarkStep(paradigm, t, hostMemory(), layout, buffers, count,
                                  DType::Float32, settings);
    std::lock_guard lock(m);
    if (t.rank() == 0) rank0 = r;
  });
  return rank0;
}

TEST(BenchmarkStep, EveryParadigmCheckedAndTimed) {
  for (const auto& name : algorithmNames()) {
    const auto paradigm = makeAlgorithm(name);
    const BenchSettings settings{2, 5, 2, kDefaultLearningRate, false, {}};
    const BenchResult r = benchOnRanks(*paradigm, 4, 1001, settings);
    const Layout layout = layoutFor(4 + paradigm->dedicatedServers(), {paradigm.get()});
    const Expectation want = paradigm->expect(layout, 1001, 4);
    EXPECT_TRUE(r.ok()) << name;
    EXPECT_EQ(r.checkedSteps, 2) << name;
    EXPECT_EQ(r.counters.messagesSent, want.messages) << name;
    EXPECT_EQ(r.counters.bytesSent, want.totalBytes) << name;
    ASSERT_EQ(r.time.perStep.size(), 5u) << name;
    EXPECT_GT(r.time.min, 0.0) << name;
    EXPECT_LE(r.time.min, r.time.avg) << name;
    EXPECT_LE(r.time.avg, r.time.max) << name;
  }
}

TEST(BenchmarkStep, WithoutCheckedStepsTheCountsComeFromTheTimedOnes) {
  const auto ring = makeRingAllreduce();
  const BenchResult r = benchOnRanks(*ring, 3, 10, BenchSettings{0, 4, 0, kDefaultLearningRate, false, {}});
  EXPECT_TRUE(r.countsOk);
  EXPECT_EQ(r.checkedSteps, 0);
  EXPECT_EQ(r.counters.messagesSent, 2u * 3 * 2);
  EXPECT_EQ(r.counters.bytesSent, 2u * 2 * 10 * 4);
  EXPECT_EQ(r.counters.maxMessageBytes, 4u * 4);
}

// Every rank's time of each step, set by the step itself: rank r sleeps sleepMs(r, i) in step i.
class Sleeper final : public Paradigm {
 public:
  explicit Sleeper(std::function<int(int rank, int step)> sleepMs) : sleepMs_(std::move(sleepMs)) {}
  std::string_view name() const override { return "sleeper"; }
  Expectation expect(const Layout&, std::uint64_t, std::size_t) const override { return {}; }
  double busbwFactor(const Layout&) const override { return 1; }
  void run(StepContext& c) const override {
    const int rank = c.transport.rank();
    std::this_thread::sleep_for(std::chrono::milliseconds(sleepMs_(rank, calls_[rank]++)));
    c.memory.copy(c.out, c.grad, c.count * c.elementSize());  // the "mean" is each rank's own
  }

 private:
  std::function<int(int, int)> sleepMs_;
  mutable std::atomic<int> calls_[3] = {0, 0, 0};
};

// Rank r sleeps 20(r+1) ms in step i only when i is odd. The slowest rank's time per step must
// come out, not any one rank's.
TEST(BenchmarkStep, EachStepTakesTheSlowestRanksTime) {
  Sleeper sleeper([](int rank, int step) { return step % 2 == 1 ? 20 * (rank + 1) : 0; });
  // No checked step (its result would be wrong), no warm-up: steps 0..5 are the timed ones.
  const BenchResult r = benchOnRanks(sleeper, 3, 4, BenchSettings{0, 6, 0, kDefaultLearningRate, false, {}});
  ASSERT_EQ(r.time.perStep.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    if (i % 2 == 1) {
      EXPECT_GE(r.time.perStep[i], 60e-3) << i;  // rank 2's 60 ms
      EXPECT_EQ(r.time.slowestRank[i], 2) << i;
    } else {
      EXPECT_LT(r.time.perStep[i], 20e-3) << i;
    }
  }
  EXPECT_GE(r.time.p99, 60e-3);  // nearest rank of 6 steps: the largest
  EXPECT_LT(r.time.p50, 20e-3);  // the 3rd of 6: a step without sleep
  EXPECT_FALSE(r.time.straggler) << "6 steps are too few to call a rank consistently slow";
}

// Rank 1 sleeps 5 ms in every step: it is the slowest in each and flagged as a straggler.
TEST(BenchmarkStep, AConsistentlySlowRankIsNamedAndFlagged) {
  Sleeper slow([](int rank, int) { return rank == 1 ? 5 : 0; });
  const BenchResult r = benchOnRanks(slow, 3, 4, BenchSettings{0, kStragglerMinSteps, 0, kDefaultLearningRate, false, {}});
  EXPECT_EQ(r.time.mostOftenSlowest, 1);
  EXPECT_EQ(r.time.slowestSteps, kStragglerMinSteps);
  EXPECT_TRUE(r.time.straggler);
  EXPECT_GE(r.time.p50, 5e-3);
}

// Under a least time, the steps missing at the average so far: none once it is reached or the
// most steps are timed, at least one while it is not, never past the most.
TEST(MoreTimedSteps, TheStepsMissingAtTheAverageSoFar) {
  EXPECT_EQ(moreTimedSteps(10, 0.05, 0.05), 0);
  EXPECT_EQ(moreTimedSteps(10, 0.05, 0.2), 0);
  EXPECT_EQ(moreTimedSteps(10, 0.05, 0.008), 53);       // 0.8 ms a step: 52.5 more fill 50 ms
  EXPECT_EQ(moreTimedSteps(10, 0.05, 0.0499999), 1);    // a hair short: one more
  EXPECT_EQ(moreTimedSteps(3, 0.05, 0.004), 35);        // 34.5 more
  EXPECT_EQ(moreTimedSteps(10, 60, 1e-6), kMostTimedSteps - 10);  // 0.1 us steps: capped
  EXPECT_EQ(moreTimedSteps(10, 0.05, 0), kMostTimedSteps - 10);   // too short for the clock
  EXPECT_EQ(moreTimedSteps(kMostTimedSteps, 60, 1), 0);
  EXPECT_EQ(moreTimedSteps(kMostTimedSteps + 5, 60, 1), 0);  // -n above the most stays -n
}

// Rank 1 sleeps 2 ms in every step: with 3 timed steps and a least time of 40 ms, the harness
// times more, on every rank alike (or the run would not finish), until the slowest rank's steps
// have lasted 40 ms; then stops (about 20 steps, not 3 and not the most).
TEST(BenchmarkStep, ALeastTimeAddsStepsUntilTheyLastIt) {
  Sleeper sleeper([](int rank, int) { return rank == 1 ? 2 : 0; });
  BenchSettings settings{0, 3, 0, kDefaultLearningRate, false, {}};
  settings.minTimeS = 0.04;
  const BenchResult r = benchOnRanks(sleeper, 3, 4, settings);
  const std::size_t steps = r.time.perStep.size();
  EXPECT_GT(steps, 3u);
  EXPECT_LE(steps, 20u) << "each step sleeps 2 ms, so 20 last 40 ms";
  double total = 0;
  for (const double t : r.time.perStep) total += t;
  EXPECT_GE(total, 0.04);
  EXPECT_TRUE(r.time.straggler) << "rank 1, slowest in every one of " << steps << " steps";
  EXPECT_EQ(r.time.slowestSteps, static_cast<int>(steps));

  settings.minTimeS = 0;  // no least time: exactly -n
  EXPECT_EQ(benchOnRanks(sleeper, 3, 4, settings).time.perStep.size(), 3u);
}

// perRank[r * steps + i]: rank r's time of step i; here each rank's own part is all of it.
TEST(SummariseSteps, NearestRankPercentilesAndTheStragglerRule) {
  // 2 ranks, 10 steps; step i's time is i+1 ms on rank 0 and rank 1 is slower in 8 steps.
  std::vector<double> perRank(20);
  for (int i = 0; i < 10; ++i) {
    perRank[static_cast<std::size_t>(i)] = (i + 1) * 1e-3;
    perRank[static_cast<std::size_t>(10 + i)] = (i + 1) * 1e-3 + (i < 8 ? 0.5e-3 : -0.5e-3);
  }
  Timing t = summariseSteps(perRank, perRank, 2);
  ASSERT_EQ(t.perStep.size(), 10u);
  EXPECT_DOUBLE_EQ(t.perStep[0], 1.5e-3);
  EXPECT_DOUBLE_EQ(t.perStep[9], 10e-3);  // rank 0's
  EXPECT_DOUBLE_EQ(t.min, 1.5e-3);
  EXPECT_DOUBLE_EQ(t.max, 10e-3);
  EXPECT_DOUBLE_EQ(t.p50, 5.5e-3);  // 5th of 10 sorted
  EXPECT_DOUBLE_EQ(t.p99, 10e-3);   // 10th of 10
  EXPECT_EQ(t.mostOftenSlowest, 1);
  EXPECT_EQ(t.slowestSteps, 8);
  EXPECT_TRUE(t.straggler);  // 8 of 10 >= 75%
  // 7 of 10: not consistently.
  perRank[10 + 7] = 7e-3;
  t = summariseSteps(perRank, perRank, 2);
  EXPECT_EQ(t.slowestSteps, 7);
  EXPECT_FALSE(t.straggler);
  // 100 steps: p99 is the 99th sorted, not the largest.
  std::vector<double> hundred(100);
  for (int i = 0; i < 100; ++i) hundred[static_cast<std::size_t>(i)] = 100 - i;
  t = summariseSteps(hundred, hundred, 1);
  EXPECT_DOUBLE_EQ(t.p99, 99);
  EXPECT_DOUBLE_EQ(t.p50, 50);
  EXPECT_TRUE(t.straggler) << "a lone rank is always the slowest";
}

// The step's time is the rank that finished last; the slowest rank is the one whose own part
// (outside waits) was longest, which the others waited for.
TEST(SummariseSteps, TheSlowestRankIsTheOneTheOthersWaitedFor) {
  // 3 ranks, 1 step: rank 2 finishes last (5 ms) but spent 4 of them waiting; rank 1 worked 3 ms.
  const Timing t = summariseSteps({4e-3, 4.5e-3, 5e-3}, {0.5e-3, 3e-3, 1e-3}, 3);
  EXPECT_DOUBLE_EQ(t.perStep.at(0), 5e-3);
  EXPECT_EQ(t.slowestRank.at(0), 1);
}

// Right on its first step, one extra message on every later one: caught by the count over the
// timed steps although the checked step passes.
class Drifting final : public Paradigm {
 public:
  std::string_view name() const override { return "drifting"; }
  Expectation expect(const Layout& l, std::uint64_t p, std::size_t s) const override {
    return ring_->expect(l, p, s);
  }
  double busbwFactor(const Layout& l) const override { return ring_->busbwFactor(l); }
  void run(StepContext& c) const override {
    ring_->run(c);
    if (calls_[c.transport.rank()]++ == 0) return;
    const int me = c.transport.rank(), n = c.layout.workers;
    char byte = 0;
    Request r[2] = {c.transport.isend(&byte, 0, (me + 1) % n, 9),
                    c.transport.irecv(&byte, 0, (me + n - 1) % n, 9)};
    c.transport.waitAll(r);
  }

 private:
  std::unique_ptr<Paradigm> ring_ = makeRingAllreduce();
  mutable std::atomic<int> calls_[4] = {0, 0, 0, 0};
};

TEST(BenchmarkStep, CountsOfTheTimedStepsAreCheckedToo) {
  Drifting drifting;
  const BenchResult r = benchOnRanks(drifting, 4, 100, BenchSettings{0, 3, 1, kDefaultLearningRate, false, {}});
  EXPECT_EQ(r.wrong, 0u);
  EXPECT_FALSE(r.countsOk);
  EXPECT_FALSE(r.ok());
}

TEST(PeakResident, GrowsWithTouchedMemory) {
  const std::uint64_t before = peakResidentBytes();
  EXPECT_GT(before, 0u);
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  Buffer big(hostMemory(), kBytes);
  std::memset(big.data(), 1, kBytes);
  EXPECT_GE(peakResidentBytes(), kBytes);
}

}  // namespace
}  // namespace commsim
