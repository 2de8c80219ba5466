// `commsim bench` as a user runs it with --local: the rows, their counts for every size, the
// files, bad input, progress only on a terminal, and the plots made from its JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <fstream>

#include "bench_checks.hpp"
#include "process.hpp"

namespace commsim::test {
namespace {

nlohmann::json readJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(BenchCli, LocalSweepCountsEqualTheFormulasAtEverySize) {
  const std::string json = ::testing::TempDir() + "/bench-local.json";
  const std::string csv = ::testing::TempDir() + "/bench-local.csv";
  const auto r = runProcess(commsim({"bench", "--local", "5", "-b", "8", "-e", "64K", "-f", "4",
                                     "-w", "1", "-n", "3", "--json", json, "--csv", csv}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << "no progress when stderr is not a terminal:\n" << r.err;
  const auto doc = readJson(json);
  EXPECT_EQ(doc.at("transport"), "inproc");
  EXPECT_EQ(doc.at("ranks_per_process").get<int>(), 5);
  const auto sizes = expectBenchMatchesFormulas(doc, 5, 4, 4);
  const auto want = sweep(8, 64 << 10, 4);
  EXPECT_EQ(sizes.size(), 3u);
  for (const auto& [name, got] : sizes) EXPECT_EQ(got, want) << name;
  // The baseline needs MPI: skipped with the reason, no ratios.
  ASSERT_EQ(doc.at("skipped").size(), 1u);
  EXPECT_EQ(doc["skipped"][0]["paradigm"], "mpi-allreduce");
  EXPECT_NE(doc["skipped"][0]["reason"].get<std::string>().find("MPI transport"), std::string::npos);
  EXPECT_TRUE(doc.at("baseline_ratios").empty());

  for (const char* text : {"# size (B)", "ring-allreduce", "2n(n-1) = 24 messages",
                           "skipped mpi-allreduce", "peak RSS per rank", "all checks held"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  std::ifstream cf(csv);
  std::string header;
  std::getline(cf, header);
  EXPECT_EQ(header.rfind("size_bytes,count,dtype,paradigm,", 0), 0u) << header;
}

TEST(BenchCli, Float64SizesBelowAnElementAndNoCheckedSteps) {
  // Sizes 1, 3, 9, 27, 81 bytes: 0, 0, 1, 3 and 10 doubles; the two empty ones are one row.
  const auto r = runProcess(commsim({"bench", "--local", "3", "-b", "1", "-e", "81", "-f", "3",
                                     "-d", "float64", "-c", "0", "-n", "2", "-w", "0",
                                     "--paradigm", "ring-allreduce,all-to-all", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto sizes = expectBenchMatchesFormulas(doc, 3, 3, 8);
  const std::vector<std::uint64_t> want = {0, 8, 24, 80};
  EXPECT_EQ(sizes.at("ring-allreduce"), want);
  EXPECT_EQ(doc["rows"][0]["paradigm"], "ring-allreduce");  // the order given
  EXPECT_EQ(doc["rows"][0]["checked_iterations"], 0);
}

TEST(BenchCli, ProgressOnlyOnATerminal) {
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "util-linux script(1) is not installed";
  // script(1) gives the command a pseudo-terminal for stdout and stderr.
  const std::string cmd = std::string(COMMSIM_BIN) +
                          " bench --local 3 -b 8 -e 64 -n 1 -w 0 --paradigm ring-allreduce";
  const auto r = runProcess({"/usr/bin/script", "-qec", cmd, "/dev/null"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[commsim bench] 1/4"), std::string::npos) << r.out;
}

// Bad input to bench: tests/bad_input_test.cpp (exit 2, one line, no output file left).

// The plotting script: busbw against size from one sweep, time against n from several.
TEST(Plots, PngFilesFromTheJson) {
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no matplotlib (Debian python3-matplotlib; "
                    "scripts/bootstrap.sh --extra plots)";
  const std::string dir = ::testing::TempDir();
  std::vector<std::string> inputs;
  for (const char* ranks : {"3", "5"}) {
    const std::string json = dir + "/plot-n" + ranks + ".json";
    const auto r = runProcess(commsim({"bench", "--local", ranks, "-b", "1K", "-e", "64K", "-f",
                                       "8", "-n", "2", "-w", "0", "--json", json}));
    ASSERT_EQ(r.status, 0) << r.err;
    inputs.push_back(json);
  }
  const std::string busbw = dir + "/busbw.png", time = dir + "/time.png";
  auto r = runProcess({"/usr/bin/python3", COMMSIM_SOURCE_DIR "/scripts/plot.py", "busbw",
                       "--step", "min", inputs[1], "-o", busbw, "--commsim", COMMSIM_BIN});
  ASSERT_EQ(r.status, 0) << r.err;
  r = runProcess({"/usr/bin/python3", COMMSIM_SOURCE_DIR "/scripts/plot.py", "time", inputs[0],
                  inputs[1], "-o", time, "--commsim", COMMSIM_BIN});
  ASSERT_EQ(r.status, 0) << r.err;
  // The crossover map from predictions (docs/algorithms.md).
  const std::string predicted = dir + "/predict.json", crossover = dir + "/crossover.png";
  r = runProcess(commsim({"predict", "--topology", COMMSIM_SOURCE_DIR "/topologies/dgx-h100.yaml",
                          "-n", "2,4,7", "-p", "1K,1M", "--paradigm", "all", "--json", predicted}));
  ASSERT_EQ(r.status, 0) << r.err;
  r = runProcess({"/usr/bin/python3", COMMSIM_SOURCE_DIR "/scripts/plot.py", "crossover", predicted,
                  "-o", crossover, "--commsim", COMMSIM_BIN});
  ASSERT_EQ(r.status, 0) << r.err;
  // Predicted against measured (docs/validation.md), from a small in-process validate.
  const std::string validated = dir + "/validate.json", validatePng = dir + "/validate.png";
  r = runProcess(commsim({"validate", "--local", "2", "-b", "64K", "-e", "256K", "-n", "2", "-w",
                          "0", "--calibrate-iters", "2", "--no-simulate", "--json", validated}));
  ASSERT_EQ(r.status, 0) << r.err;
  r = runProcess({"/usr/bin/python3", COMMSIM_SOURCE_DIR "/scripts/plot.py", "validate", validated,
                  "-o", validatePng, "--commsim", COMMSIM_BIN});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& png : {busbw, time, crossover, validatePng}) {
    std::ifstream in(png, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }
  r = runProcess({"/usr/bin/python3", COMMSIM_SOURCE_DIR "/scripts/plot.py", "busbw",
                  dir + "/missing.json", "-o", busbw});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace commsim::test
