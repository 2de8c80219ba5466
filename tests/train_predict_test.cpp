// `commsim predict --workload` as a user runs it: a 7B model on 1024 workers, and the bucket sweep.
// Label model only: the sanitizer suite would record the 1024-rank ring far slower.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>

#include "algorithm_forms.hpp"
#include "process.hpp"
#include "train_checks.hpp"

namespace commsim::test {
namespace {

using nlohmann::json;

std::string source(const std::string& path) { return std::string(COMMSIM_SOURCE_DIR) + "/" + path; }

TEST(PredictWorkload, Llama7bOn1024WorkersIsQuickAndConsistent) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = runProcess(commsim({"predict", "--workload", source("workloads/llama2-7b.yaml"),
                                     "--topology", source("topologies/fat-tree-1024.yaml"), "-n",
                                     "1024", "--algorithm", "ring-allreduce", "--format", "json"}));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.status, 0) << r.err;
  // Under a second on an idle machine (docs/train.md); generous here, for loaded CI machines.
  EXPECT_LT(seconds, 10.0);
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc.at("params"), 6738415616u);
  EXPECT_EQ(doc.at("workers"), 1024);
  std::uint64_t elements = 0;
  for (const auto& b : doc.at("buckets")) {
    elements += b.at("elements").get<std::uint64_t>();
    EXPECT_FALSE(b.contains("wrong"));
    const auto f = testing_forms::specForm("ring-allreduce", {}, 1024, b.at("elements"), 4);
    EXPECT_EQ(b.at("expected_messages"), f.messages);
    EXPECT_EQ(b.at("expected_total_bytes"), f.totalBytes);
  }
  EXPECT_EQ(elements, 6738415616u);
  expectStepConsistent(doc);
  // compute = (forward + backward FLOPs) / (312 TFLOPS * 0.4), fat-tree-1024.yaml's device.
  EXPECT_GT(doc.at("step").at("compute_s").get<double>(), 0.5);
}

TEST(PredictWorkload, BucketSweepRecommendsTheShortestStep) {
  const auto r = runProcess(commsim({"predict", "--workload", source("workloads/resnet50.yaml"),
                                     "--topology", source("topologies/dgx-h100-2node.yaml"), "-n",
                                     "16", "--algorithm", "ring-allreduce,hierarchical-ring",
                                     "--bucket-sweep", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  double best = 1e300;
  std::map<std::string, std::vector<json>> caps;
  for (const auto& row : doc.at("sweep")) {
    best = std::min(best, row.at("step_s").get<double>());
    caps[row.at("algorithm")].push_back(row.at("bucket_bytes"));
    EXPECT_NEAR(row.at("step_s").get<double>(),
                row.at("compute_s").get<double>() + row.at("exposed_comm_s").get<double>(), 1e-12);
  }
  EXPECT_EQ(doc.at("recommended").at("step_s").get<double>(), best);
  ASSERT_EQ(caps.size(), 2u);
  for (const auto& [algorithm, list] : caps) {
    // 1 MiB, 2 MiB, ... below the model's 102228128 bytes (2^26 the last), then all.
    ASSERT_EQ(list.size(), 8u) << algorithm;
    EXPECT_EQ(list.front(), 1u << 20);
    EXPECT_EQ(list[6], 1u << 26);
    EXPECT_EQ(list.back(), "all");
  }
}

}  // namespace
}  // namespace commsim::test
