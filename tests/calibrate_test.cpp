// `commsim calibrate` as a user runs it: the topology file it writes loads, holds what was
// measured in sane units, and feeds `commsim predict`. On this machine the figures vary with the
// load, so the checks are of kind and range; against a link of known rate the multi-host test
// checks the bandwidth to 10% (tests/multihost/run_multihost.py).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/topology.hpp"
#include "process.hpp"

namespace commsim::test {
namespace {

namespace fs = std::filesystem;

// One host, `ranks` slots, an intra-host link measured in sane units: an 8-byte message between
// 1 ns and 10 ms, a bandwidth between 10 MB/s and 10 TB/s (a unit slip by 10^3 or 10^6 would
// leave them).
void expectOneHostTopology(const Topology& t, int ranks) {
  EXPECT_EQ(t.name, "calibrated");
  EXPECT_EQ(t.hosts, 1);
  EXPECT_EQ(t.devicesPerHost, ranks);
  const LinkCost smallest = t.intraHost.at(8);
  EXPECT_GT(smallest.latencyS + 8 / smallest.bandwidthBps, 1e-9);
  EXPECT_LT(smallest.latencyS + 8 / smallest.bandwidthBps, 1e-2);
  EXPECT_GT(t.intraHost.bandwidthBps, 1e7);
  EXPECT_LT(t.intraHost.bandwidthBps, 1e13);
  EXPECT_EQ(t.nic.bandwidthBps, 0) << "one host: no NIC was measured";
}

TEST(CalibrateCli, LocalRanksWriteATopologyToStdout) {
  // 16 MiB: threads on a loaded 2-core machine can take tens of microseconds to be scheduled, which
  // a small largest message would not outweigh (the bandwidth is then refused as unmeasurable).
  const auto r = runProcess(commsim({"calibrate", "--local", "3", "-e", "16M", "-n", "5"}), 60);
  ASSERT_EQ(r.status, 0) << r.err;
  const Topology t = parseTopology(r.out, "stdout");
  expectOneHostTopology(t, 3);
  // The comments keep what was measured: one time per probe size, and the reduction cost.
  for (const char* part : {"ranks 0 and 1 (one host): 8 B ", ", 1 KiB ", ", 64 KiB ", ", 4 MiB ", ", 16 MiB ",
                           "transport inproc", "gamma = "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST(CalibrateUnderMpirun, WritesAFileThatPredictLoads) {
  const fs::path dir = fs::path(::testing::TempDir()) / "calibrate_mpirun";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "machine.yaml").string();
  const std::string json = (dir / "machine.json").string();
  auto argv = mpirun(2);
  for (const auto& a : commsim({"calibrate", "-e", "16M", "-n", "10", "--name", "calibrated", "-o",
                                file, "--json", json}))
    argv.push_back(a);
  const auto r = runProcess(argv, 120);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("# wrote " + file), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("intra-host: latency "), std::string::npos) << r.out;
  const Topology t = loadTopology(file);
  expectOneHostTopology(t, 2);

  // The JSON holds every size's time; the file's figures are the two terms derived from them.
  std::ifstream in(json);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc.at("transport").get<std::string>(), "mpi");
  EXPECT_EQ(doc.at("world_size").get<int>(), 2);
  ASSERT_EQ(doc.at("links").size(), 1u);
  const auto& link = doc["links"][0];
  EXPECT_EQ(link.at("between").get<std::string>(), "one host");
  const auto sizes = link.at("sizes_bytes").get<std::vector<std::uint64_t>>();
  const auto times = link.at("time_s").get<std::vector<double>>();
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{8, 1024, 4096, 16384, 65536, 262144, 1048576,
                                                4194304, 16777216}));
  ASSERT_EQ(times.size(), sizes.size());
  const auto medians = link.at("median_s").get<std::vector<double>>();
  ASSERT_EQ(medians.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i)
    EXPECT_LE(times[i], medians[i]) << sizes[i] << " bytes: the fastest exchange is no slower than the median";
  // The file's piecewise link gives back every measured time (a time below a smaller size's is
  // taken as that one) within the fit's 5%, and the rounding to whole ns and MB/s.
  double floor = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    floor = std::max(floor, times[i]);
    const LinkCost c = t.intraHost.at(sizes[i]);
    const double fitted = c.latencyS + static_cast<double>(sizes[i]) / c.bandwidthBps;
    EXPECT_NEAR(fitted, floor, floor * 0.05 + 2e-9) << sizes[i] << " bytes";
  }
  EXPECT_NEAR(t.intraHost.bandwidthBps, link["bandwidth_Bps"].get<double>(), 0.5e6);  // whole MB/s
  EXPECT_EQ(t.intraHost.pieces.size(), link.at("pieces").size());
  EXPECT_NEAR(t.gammaSPerByte, doc.at("gamma_s_per_byte").get<double>(), 1e-15);
  EXPECT_GT(doc.at("gamma_s_per_byte").get<double>(), 0);
  EXPECT_EQ(parseTopology(doc.at("topology").get<std::string>(), "json").intraHost.latencyS,
            t.intraHost.latencyS);

  const auto p = runProcess(commsim({"predict", "--topology", file, "-n", "2", "-p", "1M",
                                     "--paradigm", "ring-allreduce"}), 60);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("ring-allreduce"), std::string::npos) << p.out;
  fs::remove_all(dir);
}

// `commsim validate` under real mpirun: every algorithm at every size measured, predicted and
// (SimGrid built) simulated; the errors and their summary are what the rows say.
TEST(ValidateUnderMpirun, EveryAlgorithmMeasuredPredictedAndSimulated) {
  const fs::path dir = fs::path(::testing::TempDir()) / "validate_mpirun";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string json = (dir / "v.json").string();
  auto argv = mpirun(2);
  for (const auto& a : commsim({"validate", "-b", "64K", "-e", "1M", "-w", "1", "-n", "3",
                                "--calibrate-iters", "3", "--json", json}))
    argv.push_back(a);
  const auto r = runProcess(argv, 240);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("# predicted: median |error| "), std::string::npos) << r.out;

  std::ifstream in(json);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc.at("command").get<std::string>(), "validate");
  EXPECT_TRUE(doc.at("ok").get<bool>());
  // The calibration this run made is a topology file that loads.
  const Topology t = parseTopology(doc.at("topology").at("yaml").get<std::string>(), "json");
  EXPECT_EQ(t.devicesPerHost, 2);
  const bool simulated = doc.at("simulate_skipped").is_null();
  if (!simulated) {
    EXPECT_NE(doc["simulate_skipped"].get<std::string>().find("without SimGrid"), std::string::npos);
  }

  const std::vector<std::uint64_t> sizes{65536, 262144, 1048576};
  const auto& rows = doc.at("rows");
  ASSERT_EQ(rows.size(), algorithmNames().size() * sizes.size());
  std::vector<double> errors, simErrors;
  for (const auto& name : algorithmNames())
    for (const std::uint64_t size : sizes) {
      const auto row = std::find_if(rows.begin(), rows.end(), [&](const nlohmann::json& x) {
        return x.at("paradigm") == name && x.at("size_bytes") == size;
      });
      ASSERT_NE(row, rows.end()) << name << " " << size;
      EXPECT_TRUE(row->at("ok").get<bool>()) << name;
      EXPECT_EQ(row->at("workers").get<int>(), 2) << name << ": every algorithm on both ranks";
      const double measured = row->at("measured_s"), predicted = row->at("predicted_s");
      EXPECT_GT(measured, 0) << name;
      EXPECT_GT(predicted, 0) << name;
      EXPECT_DOUBLE_EQ(row->at("predicted_error").get<double>(), (predicted - measured) / measured);
      errors.push_back(std::abs((predicted - measured) / measured));
      if (simulated) {
        const double sim = row->at("simulated_s");
        EXPECT_DOUBLE_EQ(row->at("simulated_error").get<double>(), (sim - measured) / measured);
        simErrors.push_back(std::abs((sim - measured) / measured));
      }
    }
  std::sort(errors.begin(), errors.end());
  EXPECT_DOUBLE_EQ(doc.at("max_abs_error").get<double>(), errors.back());
  EXPECT_DOUBLE_EQ(doc.at("median_abs_error").get<double>(),
                   (errors[errors.size() / 2 - 1] + errors[errors.size() / 2]) / 2);  // even count
  if (simulated) {
    std::sort(simErrors.begin(), simErrors.end());
    EXPECT_DOUBLE_EQ(doc.at("simulated_max_abs_error").get<double>(), simErrors.back());
  }
  fs::remove_all(dir);
}

TEST(ValidateCli, BadInputIsOneLineAndStatusTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"validate", "--local", "2", "--topology", "/nonexistent.yaml"},
           {"validate", "--local", "2", "-b", "1", "-e", "2"},
           {"validate", "--local", "2", "--paradigm", "no-such-algorithm"}}) {
    const auto r = runProcess(commsim(args), 60);
    EXPECT_EQ(r.status, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace commsim::test
