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
