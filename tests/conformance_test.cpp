// The conformance suite: every algorithm of the registry over every transport this machine has,
// one parameterised test over transport x algorithm x n x p x dtype. Counts are compared with the
// closed forms of SPEC §1 and §10 written out in algorithm_forms.hpp (not with the code's own
// expect()), and every rank's result is checked exactly.
//
// Transports: `inproc` (threads; ctest runs each case on its own) and `mpi`: the same binary under
// a real `mpirun -np 9` (ctest's conformance_mpi) runs only the Mpi cases, each on the first
// n (+ servers) ranks of the world, split off for the case while the others wait. NCCL needs one
// GPU per rank; scripts/gpu-check.sh runs the algorithms there (docs/gpu.md).
//
// What the transport contract promises (include/commsim/transport.hpp) is what makes a case pass
// on every transport: the in-process transport is the strictest (rendezvous sends), MPI adds real
// processes and its own progress.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <mutex>
#include <tuple>

#include "algorithm_forms.hpp"
#include "commsim/algorithms.hpp"
#include "commsim/harness.hpp"
#include "commsim/inproc.hpp"
#include "transport/mpi/mpi_transport.hpp"

namespace commsim {
namespace {

bool underMpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr; }

struct Case {
  std::string name;
  AlgorithmOptions options;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name << (c.options.colocated ? " co-located" : "")
      << (c.options.servers > 1 ? " k=" + std::to_string(c.options.servers) : "")
      << (c.options.segments > 1 ? " K=" + std::to_string(c.options.segments) : "")
      << (c.options.ranksPerHost ? " G=" + std::to_string(c.options.ranksPerHost) : "");
}

enum class Via { Inproc, Mpi };
using Param = std::tuple<Via, Case, int, std::uint64_t, DType>;

// Runs body(transport) on `ranks` ranks of the transport (under MPI: this process's part).
void onRanks(Via via, int ranks, const std::function<void(Transport&)>& body) {
  if (via == Via::Inproc) {
    runInProcess(ranks, body);
    return;
  }
  int me = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &me));
  MPI_Comm comm = MPI_COMM_NULL;
  COMMSIM_MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, me < ranks ? 0 : MPI_UNDEFINED, me, &comm));
  if (comm != MPI_COMM_NULL) {
    {
      MpiTransport t(comm);
      body(t);
    }
    COMMSIM_MPI_CHECK(MPI_Comm_free(&comm));
  }
  COMMSIM_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
}

class Conformance : public ::testing::TestWithParam<Param> {};

TEST_P(Conformance, CountsEqualTheSpecAndEveryRankHoldsTheExactResult) {
  const auto& [via, c, n, p, dtype] = GetParam();
  const auto algorithm = makeAlgorithm(c.name, c.options);
  const int world = n + algorithm->dedicatedServers();
  Layout layout = layoutFor(world, {algorithm.get()});
  layout.workersPerHost = n;  // one machine: one host
  algorithm->validate(layout);
  const std::uint64_t s = elementBytes(dtype);
  const std::uint64_t G = c.options.ranksPerHost ? c.options.ranksPerHost : n;
  const testing_forms::Form want = testing_forms::specForm(c.name, c.options, n, p, s, G);

  std::mutex m;
  std::vector<StepResult> results;
  onRanks(via, world, [&](Transport& t) {
    ASSERT_EQ(t.size(), world);
    StepResult r = runCheckedStep(*algorithm, t, hostMemory(), layout, p, dtype);
    std::lock_guard lock(m);
    results.push_back(r);
  });
  for (const StepResult& r : results) {  // every rank sees the same global sums
    EXPECT_EQ(r.counters.messagesSent, want.messages);
    EXPECT_EQ(r.counters.bytesSent, want.totalBytes);
    EXPECT_EQ(r.counters.messagesReceived, want.messages);
    EXPECT_EQ(r.counters.bytesReceived, want.totalBytes);
    if (want.sizes) {
      EXPECT_EQ(r.counters.minMessageBytes, want.minMessageBytes);
      EXPECT_EQ(r.counters.maxMessageBytes, want.maxMessageBytes);
    }
    EXPECT_EQ(r.expected.messages, want.messages);
    EXPECT_EQ(r.expected.totalBytes, want.totalBytes);
    EXPECT_EQ(r.wrong, 0u);
    EXPECT_TRUE(r.ok());
  }
}

std::string caseName(const ::testing::TestParamInfo<Param>& info) {
  const auto& [via, c, n, p, dtype] = info.param;
  const AlgorithmOptions& o = c.options;
  std::string name = c.name + (o.colocated ? "_colocated" : "") +
                     (o.servers > 1 ? "_k" + std::to_string(o.servers) : "") +
                     (o.segments > 1 ? "_K" + std::to_string(o.segments) : "") +
                     (o.ranksPerHost ? "_G" + std::to_string(o.ranksPerHost) : "") + "_n" +
                     std::to_string(n) + "_p" + std::to_string(p) + "_" +
                     std::string(dtypeName(dtype));
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

// Every algorithm of the registry with its defaults, and the variants its options make.
std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& name : algorithmNames()) out.push_back({name, {}});
  out.push_back({"parameter-server", {.servers = 3}});
  out.push_back({"parameter-server", {.colocated = true}});
  out.push_back({"binary-tree", {.segments = 3}});
  out.push_back({"hierarchical-ring", {.ranksPerHost = 2}});
  out.push_back({"hierarchical-ring", {.ranksPerHost = 3}});
  return out;
}

// The grid: n from one worker to uneven and power-of-two counts, p from empty through fewer
// elements than ranks to a large prime; float64 on a smaller grid.
std::vector<Param> grid(Via via) {
  std::vector<Param> out;
  for (const Case& c : cases()) {
    for (int n : {1, 2, 3, 4, 5, 6, 7, 8}) {  // with the servers, at most mpirun's 9 ranks
      if (n + c.options.servers > 9) continue;
      if (c.options.ranksPerHost && n % c.options.ranksPerHost != 0) continue;
      for (std::uint64_t p : {0, 1, 7, 10007, 1000003})
        out.emplace_back(via, c, n, p, DType::Float32);
      if (n == 3 || n == 6) out.emplace_back(via, c, n, std::uint64_t{1001}, DType::Float64);
    }
  }
  return out;
}

std::vector<Param> inprocGrid() { return underMpirun() ? std::vector<Param>{} : grid(Via::Inproc); }
std::vector<Param> mpiGrid() { return underMpirun() ? grid(Via::Mpi) : std::vector<Param>{}; }

INSTANTIATE_TEST_SUITE_P(Inproc, Conformance, ::testing::ValuesIn(inprocGrid()), caseName);
INSTANTIATE_TEST_SUITE_P(Mpi, Conformance, ::testing::ValuesIn(mpiGrid()), caseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

// Under mpirun only rank 0 prints the run; other ranks print the assertions that fail on them.
class FailuresOnly : public ::testing::EmptyTestEventListener {
 public:
  explicit FailuresOnly(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (r.failed())
      std::fprintf(stderr, "rank %d: %s:%d: %s\n", rank_, r.file_name() ? r.file_name() : "?",
                   r.line_number(), r.summary());
  }

 private:
  int rank_;
};

}  // namespace
}  // namespace commsim

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!commsim::underMpirun()) return RUN_ALL_TESTS();
  commsim::MpiSession session(&argc, &argv);
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  if (rank > 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new commsim::FailuresOnly(rank));
  }
  int failed = RUN_ALL_TESTS();
  // Every rank's verdict: a failure on any rank fails the run.
  COMMSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
  return failed;
}
