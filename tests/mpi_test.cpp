// commsim table under a real mpirun: W ranks, the last one the dedicated parameter server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "table_checks.hpp"

namespace commsim::test {
namespace {

struct MpiCase {
  int ranks;
  std::uint64_t params;
  std::string dtype;
};

void PrintTo(const MpiCase& c, std::ostream* os) {
  *os << "W=" << c.ranks << " p=" << c.params << " " << c.dtype;
}

class TableUnderMpirun : public ::testing::TestWithParam<MpiCase> {};

TEST_P(TableUnderMpirun, CountsAndResultsEqualTheFormulas) {
  const auto& c = GetParam();
  auto argv = mpirun(c.ranks);
  for (const auto& a : commsim({"table", "--params", std::to_string(c.params), "--dtype", c.dtype,
                                "--format", "json"}))
    argv.push_back(a);
  const auto r = runProcess(argv, 240);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("transport").get<std::string>(), "mpi");
  EXPECT_EQ(doc.at("world_size").get<int>(), c.ranks);
  expectTableMatchesFormulas(doc, c.ranks - 1, c.params, c.dtype == "float64" ? 8 : 4);
}

INSTANTIATE_TEST_SUITE_P(
    Ranks, TableUnderMpirun,
    ::testing::Values(MpiCase{2, 1000003, "float32"}, MpiCase{3, 1000003, "float32"},
                      MpiCase{5, 1000003, "float32"}, MpiCase{9, 1000003, "float32"},
                      MpiCase{5, 3, "float32"}, MpiCase{9, 0, "float32"},
                      MpiCase{3, 777, "float64"}),
    [](const auto& info) {
      return "W" + std::to_string(info.param.ranks) + "_p" + std::to_string(info.param.params) +
             "_" + info.param.dtype;
    });

// `--paradigm all`: every algorithm of the registry, n = W - 1 beside the parameter server.
struct AllCase {
  int ranks;
  std::uint64_t params;
};

class AllAlgorithmsUnderMpirun : public ::testing::TestWithParam<AllCase> {};

TEST_P(AllAlgorithmsUnderMpirun, EveryRowEqualsTheSpec) {
  const auto& c = GetParam();
  auto argv = mpirun(c.ranks);
  for (const auto& a : commsim({"table", "--paradigm", "all", "--params",
                                std::to_string(c.params), "--format", "json"}))
    argv.push_back(a);
  const auto r = runProcess(argv, 240);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  expectTableMatchesFormulas(doc, c.ranks - 1, c.params, 4, algorithmNames().size());
}

std::vector<AllCase> allCases() {
  std::vector<AllCase> out;
  for (int w : {3, 4, 5, 6, 8, 9})
    for (std::uint64_t p : {1000003, 7, 1, 0}) out.push_back({w, p});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Ranks, AllAlgorithmsUnderMpirun, ::testing::ValuesIn(allCases()),
                         [](const auto& info) {
                           return "W" + std::to_string(info.param.ranks) + "_p" +
                                  std::to_string(info.param.params);
                         });

// The hierarchical ring with G ranks per host chosen: n = W workers (no server in the run).
TEST(HierarchicalRingUnderMpirun, RanksPerHostTwoAndThree) {
  for (int g : {2, 3}) {
    for (int w : {2 * g, 3 * g}) {
      auto argv = mpirun(w);
      for (const auto& a : commsim({"table", "--paradigm", "hierarchical-ring", "--ranks-per-host",
                                    std::to_string(g), "--params", "1000003", "--format", "json"}))
        argv.push_back(a);
      const auto r = runProcess(argv, 240);
      ASSERT_EQ(r.status, 0) << "G=" << g << " W=" << w << ": " << r.err;
      AlgorithmOptions o;
      o.ranksPerHost = g;
      expectTableMatchesFormulas(nlohmann::json::parse(r.out), w, 1000003, 4, 1, o,
                                 static_cast<std::uint64_t>(g));
    }
  }
}

TEST(HierarchicalRingUnderMpirun, RanksPerHostNotDividingTheWorkersIsBadInput) {
  auto argv = mpirun(4);
  for (const auto& a : commsim({"table", "--paradigm", "hierarchical-ring", "--ranks-per-host", "3"}))
    argv.push_back(a);
  const auto r = runProcess(argv, 60);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("ranks-per-host: 3"), std::string::npos) << r.err;
}

TEST(TableUnderMpirun, OneRankIsBadInput) {
  auto argv = mpirun(1);
  for (const auto& a : commsim({"table"})) argv.push_back(a);
  const auto r = runProcess(argv, 60);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("at least 2 ranks"), std::string::npos) << r.err;
}

TEST(TableUnderMpirun, BadInputIsReportedOnce) {
  auto argv = mpirun(3);
  for (const auto& a : commsim({"table", "--params", "12x"})) argv.push_back(a);
  const auto r = runProcess(argv, 60);
  EXPECT_EQ(r.status, 2) << r.err;
  const auto first = r.err.find("params: '12x'");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("params: '12x'", first + 1), std::string::npos) << "reported twice:\n" << r.err;
}

}  // namespace
}  // namespace commsim::test
