// `commsim train` under a real mpirun and `commsim predict --workload`, as a user runs them
// (SPEC §11): the buckets' counts against the specification's closed forms, the step's fields,
// bad workload files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "algorithm_forms.hpp"
#include "process.hpp"
#include "train_checks.hpp"

namespace commsim::test {
namespace {

using nlohmann::json;

std::string source(const std::string& path) { return std::string(COMMSIM_SOURCE_DIR) + "/" + path; }

std::string writeTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/commsim-train-" + name;
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> under(int ranks, const std::vector<std::string>& args) {
  auto argv = mpirun(ranks);
  for (const auto& a : commsim(args)) argv.push_back(a);
  return argv;
}

// The Done-when run of issue 14: ResNet-50 on 4 ranks, ring all-reduce, 3 iterations.
TEST(TrainMpi, ResNet50RingBucketsEqualTheClosedForms) {
  const auto r = runProcess(under(4, {"train", "--workload", source("workloads/resnet50.yaml"),
                                      "--algorithm", "ring-allreduce", "--iterations", "3",
                                      "--format", "json"}),
                            240);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc.at("workload"), "resnet50");
  EXPECT_EQ(doc.at("algorithm"), "ring-allreduce");
  EXPECT_EQ(doc.at("workers"), 4);
  EXPECT_EQ(doc.at("params"), 25557032u);
  EXPECT_EQ(doc.at("tensors"), 161u);
  EXPECT_EQ(doc.at("element_bytes"), 4);
  EXPECT_EQ(doc.at("bucket_bytes"), 26214400u);
  EXPECT_TRUE(doc.at("ok").get<bool>());
  std::uint64_t elements = 0, tensors = 0;
  const auto& buckets = doc.at("buckets");
  ASSERT_GE(buckets.size(), 2u);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const auto& b = buckets[i];
    EXPECT_EQ(b.at("index"), i);
    const std::uint64_t p = b.at("elements");
    elements += p;
    tensors += b.at("tensors").get<std::uint64_t>();
    EXPECT_EQ(b.at("bytes"), 4 * p);
    // Every bucket but the last has reached the cap.
    if (i + 1 < buckets.size()) {
      EXPECT_GE(4 * p, 26214400u);
    }
    const auto f = testing_forms::specForm("ring-allreduce", {}, 4, p, 4);
    EXPECT_EQ(b.at("messages"), 3 * f.messages);
    EXPECT_EQ(b.at("expected_messages"), 3 * f.messages);
    EXPECT_EQ(b.at("total_bytes"), 3 * f.totalBytes);
    EXPECT_EQ(b.at("expected_total_bytes"), 3 * f.totalBytes);
    EXPECT_EQ(b.at("wrong"), 0u);
  }
  EXPECT_EQ(elements, 25557032u);
  EXPECT_EQ(tensors, 161u);
  expectStepConsistent(doc);
}

// Compute long beside the communication: each bucket starts when its last tensor is ready (not
// before, and not much later), so nearly all communication hides behind backward.
TEST(TrainMpi, BucketsStartWhenBackwardMakesThemReady) {
  const std::string file = writeTemp("known.yaml", R"(
name: known
dtype: float32
batch: 1
forward_s: 0.05
tensors:
  - {name: a, elements: 1000, backward_s: 0.05}
  - {name: b, elements: 2000, backward_s: 0.10}
  - {name: c, elements: 3000, backward_s: 0.05}
)");
  const auto r = runProcess(under(3, {"train", "--workload", file, "--algorithm",
                                      "halving-doubling", "--bucket", "0", "--iterations", "2",
                                      "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  const double ready[] = {0.10, 0.20, 0.25};
  ASSERT_EQ(doc.at("buckets").size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& b = doc.at("buckets")[i];
    EXPECT_GE(b.at("start_s").get<double>(), ready[i] - 1e-6) << i;
    EXPECT_LT(b.at("start_s").get<double>(), ready[i] + 0.04) << i;
    const auto f = testing_forms::specForm("halving-doubling", {}, 3, b.at("elements"), 4);
    EXPECT_EQ(b.at("messages"), 2 * f.messages);
    EXPECT_EQ(b.at("total_bytes"), 2 * f.totalBytes);
  }
  EXPECT_NEAR(doc.at("step").at("compute_s").get<double>(), 0.25, 1e-12);
  expectStepConsistent(doc);
}

// A library's baseline synchronises buckets too, uncounted; the parameter server on its own rank.
TEST(TrainMpi, BaselineAndParameterServerBuckets) {
  const std::vector<std::string> common{"train", "--workload", source("workloads/resnet50.yaml"),
                                        "--bucket", "16M", "--compute-scale", "0.01",
                                        "--iterations", "1", "--format", "json"};
  auto args = common;
  args.insert(args.end(), {"--algorithm", "mpi-allreduce"});
  const auto base = runProcess(under(2, args), 240);
  ASSERT_EQ(base.status, 0) << base.err;
  const json b = json::parse(base.out);
  EXPECT_EQ(b.at("params"), 25557032u);
  for (const auto& bucket : b.at("buckets")) {
    EXPECT_TRUE(bucket.at("messages").is_null());
    EXPECT_EQ(bucket.at("wrong"), 0u);
  }
  args = common;
  args.insert(args.end(), {"--algorithm", "parameter-server"});
  const auto ps = runProcess(under(3, args), 240);
  ASSERT_EQ(ps.status, 0) << ps.err;
  const json p = json::parse(ps.out);
  EXPECT_EQ(p.at("workers"), 2);
  for (const auto& bucket : p.at("buckets")) {
    const auto f = testing_forms::specForm("parameter-server", {}, 2, bucket.at("elements"), 4);
    EXPECT_EQ(bucket.at("messages"), f.messages);
    EXPECT_EQ(bucket.at("total_bytes"), f.totalBytes);
    EXPECT_EQ(bucket.at("wrong"), 0u);
  }
}

TEST(TrainCli, TextAndCsv) {
  const auto text = runProcess(commsim({"train", "--local", "2", "--workload",
                                        source("workloads/resnet50.yaml"), "--algorithm",
                                        "ring-allreduce", "--bucket", "all", "--iterations", "1"}));
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("overlap"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("all checks held"), std::string::npos) << text.out;
  const auto csv = runProcess(commsim({"train", "--local", "2", "--workload",
                                       source("workloads/resnet50.yaml"), "--algorithm", "direct",
                                       "--bucket", "50M", "--iterations", "1", "--format", "csv"}));
  ASSERT_EQ(csv.status, 0) << csv.err;
  const auto header = csv.out.substr(0, csv.out.find('\n'));
  for (const char* field : {"index", "elements", "messages", "expected_messages", "wrong",
                            "start_s", "end_s"})
    EXPECT_NE(header.find(field), std::string::npos) << field << " in " << header;
}

// Bad workload files: one line naming file, line and field; exit 2; no output file.
TEST(TrainCli, BadWorkloadFilesExitTwoWithOneLine) {
  const std::vector<std::pair<std::string, std::string>> files{
      {"not YAML", "name: [oops\n"},
      {"missing field", "name: m\nbatch: 1\nforward_flops: 1\ntensors: []\n"},
      {"negative elements",
       "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
       "  - {name: a, elements: -3, backward_flops: 1}\n"},
      {"non-integer elements",
       "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
       "  - {name: a, elements: 1e3, backward_flops: 1}\n"},
      {"unknown dtype", "name: m\ndtype: float8\nbatch: 1\nforward_flops: 1\ntensors: []\n"},
      {"empty", ""}};
  const std::string out = ::testing::TempDir() + "/commsim-train-bad.json";
  int k = 0;
  for (const auto& [what, text] : files) {
    const std::string file = writeTemp("bad" + std::to_string(k++) + ".yaml", text);
    std::filesystem::remove(out);
    const auto r = runProcess(commsim({"train", "--local", "2", "--workload", file, "--algorithm",
                                       "ring-allreduce", "--json", out}));
    EXPECT_EQ(r.status, 2) << what;
    EXPECT_TRUE(r.out.empty()) << what;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
    EXPECT_NE(r.err.find(file + ":"), std::string::npos) << what << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << what;
    // predict reads workloads with the same loader.
    const auto p = runProcess(commsim({"predict", "--workload", file, "--topology",
                                       source("topologies/dgx-h100.yaml"), "-n", "8",
                                       "--algorithm", "ring-allreduce"}));
    EXPECT_EQ(p.status, 2) << what;
    EXPECT_NE(p.err.find(file + ":"), std::string::npos) << what << ": " << p.err;
  }
}

}  // namespace
}  // namespace commsim::test
