// Paradigms and the in-process transport, case by case. Every algorithm over every transport is
// tests/conformance_test.cpp.
#include <gtest/gtest.h>

#include <mutex>
#include <tuple>

#include "commsim/algorithms.hpp"
#include "commsim/chunks.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/inproc.hpp"

namespace commsim {
namespace {

// The ring's result element by element, against a mean computed here in double from the inputs.
TEST(RingAllreduce, ResultIsTheMeanOfTheInputs) {
  const int n = 3;
  const std::uint64_t p = 10;
  const auto ring = makeRingAllreduce();
  const Layout layout{n, n, 0};
  std::mutex m;
  runInProcess(n, [&](Transport& t) {
    StepBuffers b(hostMemory(), p, DType::Float32);
    prepareStep(*ring, layout, t.rank(), b, p, DType::Float32, 0.5);
    StepContext ctx = makeContext(t, hostMemory(), layout, b, p, DType::Float32, 0.5);
    ring->run(ctx);
    const auto* out = static_cast<const float*>(b.out.data());
    std::lock_guard lock(m);
    for (std::uint64_t i = 0; i < p; ++i) {
      double sum = 0;
      for (int r = 0; r < n; ++r) sum += gradientValue(r, n, i);
      EXPECT_EQ(out[i], static_cast<float>(sum / n)) << "rank " << t.rank() << " element " << i;
    }
  });
}

// A paradigm that forgets one message: the counts and the result both catch it.
class LossyRing final : public Paradigm {
 public:
  std::string_view name() const override { return "lossy"; }
  Expectation expect(const Layout& l, std::uint64_t p, std::size_t s) const override {
    return ring_->expect(l, p, s);
  }
  double busbwFactor(const Layout& l) const override { return ring_->busbwFactor(l); }
  void run(StepContext& c) const override {
    // Every worker sends its gradient to the next one and keeps it: no averaging at all.
    const int n = c.layout.workers, me = c.transport.rank();
    Request r[2] = {c.transport.isend(c.grad, c.count * c.elementSize(), (me + 1) % n, 1),
                    c.transport.irecv(c.scratch, c.count * c.elementSize(), (me + n - 1) % n, 1)};
    c.transport.waitAll(r);
    c.memory.copy(c.out, c.grad, c.count * c.elementSize());
  }

 private:
  std::unique_ptr<Paradigm> ring_ = makeRingAllreduce();
};

TEST(Checks, CatchAParadigmThatIsWrong) {
  LossyRing lossy;
  const Layout layout{4, 4, 0};
  std::mutex m;
  std::vector<StepResult> results;
  runInProcess(4, [&](Transport& t) {
    auto r = runCheckedStep(lossy, t, hostMemory(), layout, 100, DType::Float32);
    std::lock_guard lock(m);
    results.push_back(r);
  });
  for (const auto& r : results) {
    EXPECT_FALSE(r.countsMatch());
    EXPECT_GT(r.wrong, 0u);
    EXPECT_FALSE(r.ok());
  }
}

TEST(Inproc, MessageLargerThanReceiveFailsInsteadOfHanging) {
  EXPECT_THROW(runInProcess(2,
                            [](Transport& t) {
                              char buf[16] = {};
                              Request r = t.rank() == 0 ? t.isend(buf, 16, 1, 7)
                                                        : t.irecv(buf, 8, 0, 7);
                              t.wait(r);
                            }),
               Error);
}

TEST(Inproc, ARankThatFailsReleasesThePeersWaitingForIt) {
  EXPECT_THROW(runInProcess(3,
                            [](Transport& t) {
                              if (t.rank() == 1) throw Error("rank 1 fails on purpose");
                              char buf[4] = {};
                              Request r = t.irecv(buf, 4, 1, 7);  // never sent
                              t.wait(r);
                            }),
               Error);
}

TEST(Inproc, MessagesBetweenAPairArriveInOrder) {
  runInProcess(2, [](Transport& t) {
    std::vector<int> values(50);
    std::vector<Request> reqs;
    for (int i = 0; i < 50; ++i) {
      if (t.rank() == 0) {
        values[i] = i;
        reqs.push_back(t.isend(&values[i], sizeof(int), 1, 3));
      } else {
        reqs.push_back(t.irecv(&values[i], sizeof(int), 0, 3));
      }
    }
    t.waitAll(reqs);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(values[i], i);
  });
}

TEST(Layout, ReservesDedicatedServersForEveryParadigm) {
  const auto ps = makeParameterServer(2);
  const auto ring = makeRingAllreduce();
  const Layout l = layoutFor(7, {ring.get(), ps.get()});
  EXPECT_EQ(l.workers, 5);
  EXPECT_EQ(l.servers, 2);
  EXPECT_THROW(layoutFor(2, {ps.get()}), UsageError);
}

TEST(Agreement, NamesTheRankThatDisagrees) {
  try {
    runInProcess(3, [](Transport& t) {
      const std::uint64_t values[] = {1000, t.rank() == 2 ? 7u : 4u};
      const char* const names[] = {"params", "dtype"};
      ensureRanksAgree(t, values, names);
    });
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 2 has dtype = 7, rank 0 has 4"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace commsim
