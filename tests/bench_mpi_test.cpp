// `commsim bench` under a real mpirun: the MPI_Allreduce baseline in the same sweep, its ratios,
// and a peak RSS per rank (each rank its own process).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench_checks.hpp"
#include "process.hpp"

namespace commsim::test {
namespace {

nlohmann::json benchUnderMpirun(int ranks, std::vector<std::string> args) {
  auto argv = mpirun(ranks);
  args.insert(args.begin(), "bench");
  for (const auto& a : commsim(args)) argv.push_back(a);
  const auto r = runProcess(argv, 240);
  EXPECT_FALSE(r.timedOut) << r.err;
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

TEST(BenchUnderMpirun, EveryParadigmAndTheBaselineAtEverySize) {
  const auto doc = benchUnderMpirun(5, {"-b", "8", "-e", "64K", "-f", "8", "-w", "1", "-n", "3",
                                        "--format", "json"});
  ASSERT_FALSE(doc.empty());
  EXPECT_EQ(doc.at("transport"), "mpi");
  EXPECT_EQ(doc.at("ranks_per_process").get<int>(), 1);
  const auto sizes = expectBenchMatchesFormulas(doc, 5, 4, 4);
  const auto want = sweep(8, 64 << 10, 8);
  ASSERT_EQ(sizes.size(), 4u);
  for (const auto& [name, got] : sizes) EXPECT_EQ(got, want) << name;
  EXPECT_TRUE(doc.at("skipped").empty());
  // One ratio per paradigm and size, against the baseline.
  EXPECT_EQ(doc.at("baseline_ratios").size(), 3 * want.size());
  for (const auto& ratio : doc.at("baseline_ratios")) {
    EXPECT_EQ(ratio.at("baseline"), "mpi-allreduce");
    EXPECT_GT(ratio.at("busbw_ratio").get<double>(), 0.0);
  }
}

TEST(BenchUnderMpirun, WithoutTheServerEveryRankIsAWorker) {
  const auto doc = benchUnderMpirun(4, {"-b", "1K", "-e", "1M", "-f", "32", "-n", "2",
                                        "--paradigm", "ring-allreduce,mpi-allreduce", "-d",
                                        "float64", "--format", "json"});
  ASSERT_FALSE(doc.empty());
  EXPECT_EQ(doc.at("servers").get<int>(), 0);
  const auto sizes = expectBenchMatchesFormulas(doc, 4, 4, 8);
  EXPECT_EQ(sizes.at("mpi-allreduce"), sweep(1024, 1 << 20, 32));
}

}  // namespace
}  // namespace commsim::test
