// --trace under a real mpirun (and on in-process ranks): the timeline holds every message the
// table counted, paired and in round order (SPEC §12); --trace-limit cuts and says so.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "process.hpp"
#include "trace_checks.hpp"

namespace commsim::test {
namespace {

namespace fs = std::filesystem;

std::string tracePath(const std::string& name) {
  const fs::path p = fs::path(::testing::TempDir()) / ("commsim_trace_" + name + ".json");
  fs::remove(p);
  return p.string();
}

// Runs commsim with args (ranks > 0: under mpirun -np ranks) and returns its JSON document.
nlohmann::json runJson(int ranks, const std::vector<std::string>& args, ProcessResult* out = nullptr) {
  std::vector<std::string> argv = ranks > 0 ? mpirun(ranks) : std::vector<std::string>{};
  for (const auto& a : commsim(args)) argv.push_back(a);
  const auto r = runProcess(argv, 240);
  EXPECT_FALSE(r.timedOut) << r.err;
  EXPECT_EQ(r.status, 0) << r.err;
  if (out) *out = r;
  return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

struct TableCase {
  std::string name;
  int ranks;
  std::vector<std::string> args;
};

void PrintTo(const TableCase& c, std::ostream* os) { *os << c.name; }

class TraceOfTable : public ::testing::TestWithParam<TableCase> {};

TEST_P(TraceOfTable, EverySendIsCountedPairedAndInRoundOrder) {
  const auto& c = GetParam();
  const std::string path = tracePath(c.name);
  std::vector<std::string> args = {"table", "--format", "json", "--trace", path};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto doc = runJson(c.ranks, args);
  ASSERT_FALSE(doc.is_null());
  const int ranks = doc.at("world_size");
  const auto trace = readTrace(path);
  ASSERT_FALSE(trace.is_null());
  expectTraceOfRows(trace, doc.at("rows"), ranks, doc.at("workers"));
  // Processes on more than one clock are aligned, and say how well.
  if (c.ranks > 0) {
    EXPECT_EQ(trace.at("otherData").at("clock"), "each rank aligned to rank 0's clock");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Runs, TraceOfTable,
    ::testing::Values(TableCase{"mpi_W5", 5, {"--params", "1000003"}},
                      TableCase{"mpi_W5_all", 5, {"--paradigm", "all", "--params", "100003"}},
                      TableCase{"mpi_W4_p0", 4, {"--paradigm", "all", "--params", "0"}},
                      TableCase{"local_W4_all", 0, {"--local", "4", "--paradigm", "all", "-p", "1001"}}),
    [](const auto& info) { return info.param.name; });

TEST(Trace, LimitCutsEachRankAndSaysSoInTheFileAndOnStderr) {
  const std::string path = tracePath("limit");
  ProcessResult r;
  const auto doc = runJson(3, {"table", "--format", "json", "-p", "1000", "--trace", path,
                               "--trace-limit", "5"}, &r);
  ASSERT_FALSE(doc.is_null());
  EXPECT_NE(r.err.find("left out beyond --trace-limit 5 per rank"), std::string::npos) << r.err;
  const auto trace = readTrace(path);
  ASSERT_FALSE(trace.is_null());
  expectWellFormed(trace, 3);
  const auto& other = trace.at("otherData");
  EXPECT_TRUE(other.at("truncated").get<bool>());
  EXPECT_EQ(other.at("event_limit_per_rank").get<int>(), 5);
  std::map<int, int> perRank;
  std::uint64_t total = 0;
  for (const auto& e : spans(trace)) ++perRank[e.at("pid")], ++total;
  for (const auto& [rank, events] : perRank) EXPECT_LE(events, 5) << "rank " << rank;
  std::uint64_t counted = 0;
  for (const auto& row : doc.at("rows")) counted += 2 * row.at("messages").get<std::uint64_t>();
  EXPECT_EQ(other.at("events").get<std::uint64_t>(), total);
  EXPECT_EQ(other.at("dropped_events").get<std::uint64_t>() + total, counted)
      << "every send and receive is either in the file or counted as left out";
  expectRoundsInOrder(trace);
}

TEST(Trace, BenchTracesTheCheckedStepsOnlyUnlessAskedForAll) {
  const std::vector<std::string> sweep = {"bench", "--format", "json", "-b", "1K", "-e", "4K",
                                          "-w", "1", "-n", "2"};
  std::vector<std::string> args = sweep;
  const std::string checked = tracePath("bench_checked");
  args.insert(args.end(), {"--trace", checked});
  const auto doc = runJson(3, args);
  ASSERT_FALSE(doc.is_null());
  expectTraceOfRows(readTrace(checked), doc.at("rows"), 3, doc.at("workers"));

  args = sweep;
  const std::string all = tracePath("bench_all");
  args.insert(args.end(), {"--trace", all, "--trace-all"});
  const auto docAll = runJson(3, args);
  ASSERT_FALSE(docAll.is_null());
  // Per row: 1 checked, 1 warm-up and 2 timed steps.
  expectTraceOfRows(readTrace(all), docAll.at("rows"), 3, docAll.at("workers"), 4);
}

// --delay-rank R:SECONDS: rank R posts its first message of every step that much after the first
// rank to post (on the aligned clocks of the trace), and bench names it the consistently slowest.
TEST(Stragglers, ADelayedRankStartsLateAndIsNamed) {
  constexpr double kDelay = 0.02;
  const std::string path = tracePath("delay");
  const auto doc = runJson(4, {"table", "--format", "json", "-p", "10000", "--paradigm", "all",
                               "--delay-rank", "2:0.02", "--trace", path});
  ASSERT_FALSE(doc.is_null());
  for (const auto& row : doc.at("rows")) EXPECT_GE(row.at("time_s").get<double>(), kDelay) << row.dump();
  const auto trace = readTrace(path);
  ASSERT_FALSE(trace.is_null());
  expectTraceOfRows(trace, doc.at("rows"), 4, doc.at("workers"));
  // Two ranks' times, each aligned to rank 0 within clock_error_us: twice that apart at most.
  const double slack = 2 * trace.at("otherData").at("clock_error_us").get<double>() * 1e-6;
  std::map<int, std::map<int, double>> first;  // step -> rank -> first post, seconds
  for (const auto& e : spans(trace)) {
    const double ts = e.at("ts").get<double>() * 1e-6;
    auto [it, fresh] = first[e.at("args").at("step").get<int>()].try_emplace(e.at("pid").get<int>(), ts);
    it->second = std::min(it->second, ts);
  }
  // Some other rank posts at the start of each step; those waiting on rank 2 may post later.
  for (const auto& [step, ranks] : first) {
    if (!ranks.count(2)) continue;  // rank 2 takes no part in this step
    double earliest = ranks.at(2);
    for (const auto& [rank, ts] : ranks) earliest = std::min(earliest, ts);
    EXPECT_GE(ranks.at(2) - earliest, kDelay - slack) << "step " << step;
  }

  const auto bench = runJson(4, {"bench", "--format", "json", "-b", "64K", "-e", "64K", "-n", "10",
                                 "-w", "1", "--paradigm", "ring-allreduce,all-to-all",
                                 "--delay-rank", "2:0.005"});
  ASSERT_FALSE(bench.is_null());
  for (const auto& row : bench.at("rows")) {
    EXPECT_EQ(row.at("slowest_rank").get<int>(), 2) << row.dump();
    EXPECT_TRUE(row.at("straggler").get<bool>()) << row.dump();
    EXPECT_GE(row.at("time_p50_s").get<double>(), 0.005) << row.dump();
  }
}

// scripts/plot_trace.py draws the swimlane PNG of a trace; a file that is no trace is refused.
TEST(Plots, TraceSwimlanePng) {
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no matplotlib (Debian python3-matplotlib; "
                    "scripts/bootstrap.sh --extra plots)";
  const std::string trace = tracePath("plot");
  runJson(0, {"table", "--format", "json", "--local", "4", "-p", "1000", "--paradigm",
              "ring-allreduce,all-to-all", "--trace", trace});
  const std::string png = (fs::path(::testing::TempDir()) / "commsim_trace_plot.png").string();
  fs::remove(png);
  const std::string script = COMMSIM_SOURCE_DIR "/scripts/plot_trace.py";
  auto r = runProcess({"/usr/bin/python3", script, trace, "--algorithm", "ring-allreduce", "-o", png});
  ASSERT_EQ(r.status, 0) << r.err;
  // The ring's 2n(n-1) sends and as many receives, n = 4.
  EXPECT_NE(r.out.find("48 events of 4 ranks"), std::string::npos) << r.out;
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  r = runProcess({"/usr/bin/python3", script, trace, "--algorithm", "butterfly", "-o", png});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--algorithm: 'butterfly' is not in the trace"), std::string::npos) << r.err;
  r = runProcess({"/usr/bin/python3", script, COMMSIM_SOURCE_DIR "/README.md", "-o", png});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace commsim::test
