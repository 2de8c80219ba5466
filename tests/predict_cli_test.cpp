// `commsim predict` as a user runs it: the built binary, its JSON, CSV and text, and bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "process.hpp"

namespace commsim::test {
namespace {

std::string topology(const std::string& name) {
  return std::string(COMMSIM_SOURCE_DIR) + "/topologies/" + name + ".yaml";
}

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "/commsim-predict-" + name;
}

TEST(PredictCli, JsonRowsFollowTheClosedForms) {
  const auto r = runProcess(commsim({"predict", "--topology", topology("testnet"), "--workers",
                                     "2,3", "--params", "1M,1000", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("topology").at("name"), "testnet");
  EXPECT_EQ(doc.at("element_bytes"), 4);
  const auto& rows = doc.at("rows");
  ASSERT_EQ(rows.size(), 2u * 2u * 3u);
  // testnet.yaml: 1 Gbit/s = 125e6 bytes/s and 100 us, one worker per host.
  const double alpha = 100e-6, B = 125e6;
  std::set<std::string> seen;
  for (const auto& row : rows) {
    const std::string paradigm = row.at("paradigm");
    seen.insert(paradigm);
    const double n = row.at("workers"), ps = 4.0 * row.at("params").get<double>();
    double expected = 0;
    if (paradigm == "all-to-all") expected = (n - 1) * alpha + (n - 1) * ps / B;
    // The server receives one gradient at a time: n rounds of push, one of pull.
    if (paradigm == "parameter-server") expected = (n + 1) * alpha + 2 * n * ps / B;
    // Each ring step waits for its largest chunk, ceil(p/n) elements.
    const double chunk = 4.0 * std::ceil(row.at("params").get<double>() / n);
    if (paradigm == "ring-allreduce") expected = 2 * (n - 1) * (alpha + chunk / B);
    EXPECT_NEAR(row.at("time_s").get<double>(), expected, expected * 1e-9) << row.dump();
    EXPECT_NEAR(row.at("latency_s").get<double>(), alpha, 1e-15);
    EXPECT_NEAR(row.at("bandwidth_Bps").get<double>(), B, 1e-3);
    EXPECT_NEAR(row.at("algbw_GBps").get<double>(), ps / expected / 1e9, 1e-9);
    for (const char* key : {"busbw_GBps", "bottleneck", "size_bytes", "variant"})
      EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"all-to-all", "parameter-server", "ring-allreduce"}));
}

TEST(PredictCli, CsvHasAHeaderAndOneLinePerRow) {
  const auto r = runProcess(commsim({"predict", "--topology", topology("dgx-h100-2node"), "-n",
                                     "2,16", "-p", "64M", "--paradigm", "ring-allreduce,all-to-all",
                                     "--format", "csv"}));
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, line;
  std::getline(in, header);
  for (const char* key : {"paradigm", "workers", "params", "time_s", "algbw_GBps", "busbw_GBps",
                          "latency_s", "bandwidth_Bps"})
    EXPECT_NE(header.find(key), std::string::npos) << key;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find(",67108864,"), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 4);
}

TEST(PredictCli, TextTableAndJsonFile) {
  const std::string json = tempPath("out.json");
  std::filesystem::remove(json);
  // n = 256, not 1024: predict runs the ring's code for every rank (2n(n-1) messages), which the
  // sanitizer build takes minutes over at n = 1024.
  const auto r = runProcess(commsim({"predict", "--topology", topology("fat-tree-1024"), "-n",
                                     "256", "-p", "1G", "--paradigm", "ring-allreduce", "--json",
                                     json}));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* text : {"# commsim predict", "# topology fat-tree-1024", "ring-allreduce",
                           "1073741824", "time(us)", "busbw(GB/s)"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  std::ifstream in(json);
  const auto doc = nlohmann::json::parse(in);
  ASSERT_EQ(doc.at("rows").size(), 1u);
  EXPECT_EQ(doc["rows"][0]["workers"], 256);
  EXPECT_EQ(doc["rows"][0]["params"], 1073741824u);
}

struct BadRun {
  std::vector<std::string> args;
  std::string message;
};

TEST(PredictCli, BadInputExitsTwoWithOneClearLine) {
  const std::string bad = tempPath("bad.yaml");
  {
    std::ofstream out(bad);
    out << "hosts: 2\ndevices_per_host: 1\nnic: {bandwidth: 10 Gbs, latency: 1 us}\n"
           "fabric: {type: non-blocking}\n";
  }
  const std::string testnet = topology("testnet");
  const std::vector<BadRun> runs{
      {{"--topology", testnet, "-n", "6", "-p", "1M"},
       "6 workers do not fit " + testnet + ": all-to-all needs 6 slots, the topology holds 5"},
      {{"--topology", testnet, "-n", "5", "-p", "1M", "--paradigm", "parameter-server"},
       "parameter-server needs 6 slots (5 workers + 1 dedicated server)"},
      {{"--topology", bad, "-n", "2", "-p", "1M"},
       bad + ": nic.bandwidth: '10 Gbs' has an unknown unit (allowed: Gbps, Mbps, GBps, MBps)"},
      {{"--topology", testnet, "-n", "2", "-p", "1.5M"}, "--params"},
      {{"--topology", testnet, "-n", "0", "-p", "1M"}, "--workers: '0'"},
      {{"--topology", testnet, "-n", "2", "-p", "1M", "--paradigm", "tree"}, "'tree'"},
      {{"--topology", testnet, "-n", "2", "-p", "1M", "--format", "xml"}, "'xml'"},
      {{"--topology", testnet, "-n", "2", "-p", "1M", "--dtype", "int8"}, "int8"},
      {{"--topology", tempPath("missing.yaml"), "-n", "2", "-p", "1M"}, "cannot read"},
      {{"--topology", testnet, "-n", "2", "-p", "1M", "--json", "/nonexistent-dir/x.json"},
       "/nonexistent-dir/x.json"},
  };
  for (const auto& run : runs) {
    std::vector<std::string> args{"predict"};
    args.insert(args.end(), run.args.begin(), run.args.end());
    const auto r = runProcess(commsim(args));
    EXPECT_EQ(r.status, 2) << run.message << "\n" << r.err;
    EXPECT_NE(r.err.find(run.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(PredictCli, NoJsonFileWhenTheInputIsBad) {
  const std::string json = tempPath("never.json");
  std::filesystem::remove(json);
  const auto r = runProcess(commsim({"predict", "--topology", topology("testnet"), "-n", "2,9",
                                     "-p", "1M", "--json", json}));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(json));
}

}  // namespace
}  // namespace commsim::test
