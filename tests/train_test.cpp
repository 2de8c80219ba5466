// The pieces of a training step that need no ranks: workload files, the bucket rule, the step's
// timeline and the per-bucket cost model (SPEC §11).
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/error.hpp"
#include "commsim/topology.hpp"
#include "commsim/workload.hpp"

namespace commsim {
namespace {

struct Shape {
  std::size_t first, tensors;
  std::uint64_t elements;
};

std::vector<Shape> shapes(const std::vector<Bucket>& buckets) {
  std::vector<Shape> out;
  for (const auto& b : buckets) out.push_back({b.firstTensor, b.tensors, b.elements});
  return out;
}

bool operator==(const Shape& a, const Shape& b) {
  return a.first == b.first && a.tensors == b.tensors && a.elements == b.elements;
}
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "{first " << s.first << ", " << s.tensors << " tensors, " << s.elements << "}";
}

TEST(BucketRule, ATensorLargerThanTheCapClosesTheBucketItJoins) {
  const std::vector<std::uint64_t> t{10, 1000, 10, 10};  // 40, 4000, 40, 40 bytes
  EXPECT_EQ(shapes(formBuckets(t, 4, 100)),
            (std::vector<Shape>{{0, 2, 1010}, {2, 2, 20}}));
  // First in its bucket: it fills it alone.
  const std::vector<std::uint64_t> big{1000, 10};
  EXPECT_EQ(shapes(formBuckets(big, 4, 100)), (std::vector<Shape>{{0, 1, 1000}, {1, 1, 10}}));
}

TEST(BucketRule, CapZeroIsOneBucketPerTensorEvenAnEmptyOne) {
  const std::vector<std::uint64_t> t{5, 0, 7};
  EXPECT_EQ(shapes(formBuckets(t, 4, 0)),
            (std::vector<Shape>{{0, 1, 5}, {1, 1, 0}, {2, 1, 7}}));
}

TEST(BucketRule, AllIsOneBucketOfTheWholeModel) {
  const std::vector<std::uint64_t> t{1ull << 30, 1ull << 30, 3};
  EXPECT_EQ(shapes(formBuckets(t, 4, kWholeModelBucket)),
            (std::vector<Shape>{{0, 3, (2ull << 30) + 3}}));
}

TEST(BucketRule, OneTensorIsOneBucketWhateverTheCap) {
  const std::vector<std::uint64_t> t{12345};
  for (std::uint64_t cap : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{49380},
                            kDefaultBucketBytes, kWholeModelBucket})
    EXPECT_EQ(shapes(formBuckets(t, 4, cap)), (std::vector<Shape>{{0, 1, 12345}})) << cap;
}

TEST(BucketRule, CapsAtAndAroundTensorBoundaries) {
  const std::vector<std::uint64_t> t{25, 25, 25, 25};  // 100 bytes each
  using V = std::vector<Shape>;
  // Reaching the cap exactly closes the bucket; one byte short does not.
  EXPECT_EQ(shapes(formBuckets(t, 4, 200)), (V{{0, 2, 50}, {2, 2, 50}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 199)), (V{{0, 2, 50}, {2, 2, 50}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 201)), (V{{0, 3, 75}, {3, 1, 25}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 100)), (V{{0, 1, 25}, {1, 1, 25}, {2, 1, 25}, {3, 1, 25}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 101)), (V{{0, 2, 50}, {2, 2, 50}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 400)), (V{{0, 4, 100}}));
  EXPECT_EQ(shapes(formBuckets(t, 4, 401)), (V{{0, 4, 100}}));
  // The element size counts: the same elements as float64 fill buckets twice as fast.
  EXPECT_EQ(shapes(formBuckets(t, 8, 200)), (V{{0, 1, 25}, {1, 1, 25}, {2, 1, 25}, {3, 1, 25}}));
}

TEST(BucketRule, BucketsCoverTheGradientInOrder) {
  const std::vector<std::uint64_t> t{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
  for (std::uint64_t cap = 0; cap < 200; cap += 7) {
    const auto b = formBuckets(t, 4, cap);
    std::uint64_t offset = 0;
    std::size_t next = 0;
    for (const Bucket& x : b) {
      EXPECT_EQ(x.offset, offset);
      EXPECT_EQ(x.firstTensor, next);
      offset += x.elements;
      next += x.tensors;
    }
    EXPECT_EQ(offset, std::accumulate(t.begin(), t.end(), std::uint64_t{0}));
    EXPECT_EQ(next, t.size());
  }
}

TEST(BucketCap, ParsesSizesAndAll) {
  EXPECT_EQ(parseBucketCap("25M"), 26214400u);
  EXPECT_EQ(parseBucketCap("0"), 0u);
  EXPECT_EQ(parseBucketCap("all"), kWholeModelBucket);
  for (const char* bad : {"-1", "1.5M", "25MB", "", "ALL", "1e6"})
    EXPECT_THROW(parseBucketCap(bad), UsageError) << bad;
}

Workload secondsWorkload() {
  return parseWorkload(R"(
name: known
dtype: float32
batch: 1
forward_s: 0.010
tensors:
  - {name: a, elements: 100, backward_s: 0.002}
  - {name: b, elements: 100, backward_s: 0.003}
  - {name: c, elements: 100, backward_s: 0.005}
)",
                       "known.yaml");
}

TEST(StepTimeline, KnownTimesGiveKnownOverlap) {
  const Workload w = secondsWorkload();
  const ComputeTimeline c = computeTimeline(w, 0, 1);
  EXPECT_DOUBLE_EQ(c.forwardS, 0.010);
  EXPECT_DOUBLE_EQ(c.computeS, 0.020);
  const auto buckets = formBuckets(w, 0);
  const std::vector<double> ready = c.bucketReadyS(buckets);
  ASSERT_EQ(ready.size(), 3u);
  EXPECT_DOUBLE_EQ(ready[0], 0.012);
  EXPECT_DOUBLE_EQ(ready[1], 0.015);
  EXPECT_DOUBLE_EQ(ready[2], 0.020);
  // Bucket 0 runs past bucket 1's ready time, which waits for it.
  const std::vector<double> durations{0.004, 0.001, 0.006};
  const auto spans = queueBuckets(ready, durations);
  EXPECT_DOUBLE_EQ(spans[0].startS, 0.012);
  EXPECT_DOUBLE_EQ(spans[0].endS, 0.016);
  EXPECT_DOUBLE_EQ(spans[1].startS, 0.016);
  EXPECT_DOUBLE_EQ(spans[1].endS, 0.017);
  EXPECT_DOUBLE_EQ(spans[2].startS, 0.020);
  EXPECT_DOUBLE_EQ(spans[2].endS, 0.026);
  const StepTimes s = stepTimes(c.computeS, spans);
  EXPECT_DOUBLE_EQ(s.computeS, 0.020);
  EXPECT_NEAR(s.commS, 0.011, 1e-15);
  EXPECT_NEAR(s.exposedCommS, 0.006, 1e-15);
  EXPECT_NEAR(s.stepS, 0.026, 1e-15);
  EXPECT_NEAR(s.overlap, 1 - 0.006 / 0.011, 1e-12);
  // One bucket: nothing overlaps.
  const auto one = formBuckets(w, kWholeModelBucket);
  const std::vector<double> d1{0.008};
  const StepTimes none = stepTimes(c.computeS, queueBuckets(c.bucketReadyS(one), d1));
  EXPECT_NEAR(none.exposedCommS, 0.008, 1e-15);
  EXPECT_NEAR(none.overlap, 0, 1e-12);
}

TEST(StepTimeline, FlopsBecomeSecondsAtTheRateTimesTheScale) {
  const Workload w = parseWorkload(
      "name: f\ndtype: float32\nbatch: 2\nforward_flops: 2e12\ntensors:\n"
      "  - {name: a, elements: 1, backward_flops: 1e12}\n  - {name: b, elements: 1, backward_s: 0.5}\n",
      "f.yaml");
  const ComputeTimeline c = computeTimeline(w, 1e12, 0.5);
  EXPECT_DOUBLE_EQ(c.forwardS, 1.0);
  EXPECT_DOUBLE_EQ(c.tensorReadyS[0], 1.5);
  EXPECT_DOUBLE_EQ(c.tensorReadyS[1], 1.75);
  EXPECT_THROW(computeTimeline(w, 0, 1), UsageError);  // FLOPs need a rate
  EXPECT_DOUBLE_EQ(computeTimeline(w, 0, 0).computeS, 0);  // unless there is no compute
  EXPECT_THROW(computeTimeline(w, 1e12, -1), UsageError);
}

// Each class of bad file: one line naming the file, the line and the field.
struct BadFile {
  const char* what;
  const char* text;
  const char* expected;  // a part of the message
};

class BadWorkload : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadWorkload, OneLineNamingFileLineAndField) {
  const auto& c = GetParam();
  try {
    parseWorkload(c.text, "bad.yaml");
    FAIL() << "accepted: " << c.text;
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

constexpr const char* kHead = "name: m\ndtype: float32\nbatch: 1\nforward_flops: 10\n";

INSTANTIATE_TEST_SUITE_P(
    Classes, BadWorkload,
    ::testing::Values(
        BadFile{"not_yaml", "name: [unclosed\n", "bad.yaml:2: not valid YAML"},
        BadFile{"not_a_mapping", "- 1\n- 2\n", "bad.yaml:1: (top level): must be a mapping"},
        BadFile{"empty", "", "bad.yaml:1: (top level): the file is empty"},
        BadFile{"missing_dtype", "name: m\nbatch: 1\nforward_flops: 1\ntensors: []\n",
                "bad.yaml:1: dtype: missing"},
        BadFile{"missing_tensors", "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\n",
                "bad.yaml:1: tensors: missing"},
        BadFile{"unknown_dtype", "name: m\ndtype: int7\nbatch: 1\nforward_flops: 1\n",
                "bad.yaml:2: dtype: 'int7' is not a known type"},
        BadFile{"empty_tensors",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors: []\n",
                "bad.yaml:5: tensors: is empty"},
        BadFile{"negative_elements",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
                "  - {name: a, elements: 3, backward_flops: 1}\n"
                "  - {name: b, elements: -5, backward_flops: 1}\n",
                "bad.yaml:7: tensors[1].elements: '-5' is not a whole number"},
        BadFile{"fractional_elements",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
                "  - {name: a, elements: 2.5, backward_flops: 1}\n",
                "bad.yaml:6: tensors[0].elements: '2.5' is not a whole number"},
        BadFile{"missing_elements",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
                "  - {name: a, backward_flops: 1}\n",
                "bad.yaml:6: tensors[0].elements: missing"},
        BadFile{"missing_backward",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
                "  - {name: a, elements: 1}\n",
                "bad.yaml:6: tensors[0].backward_flops: missing"},
        BadFile{"negative_flops",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: -1\ntensors:\n"
                "  - {name: a, elements: 1, backward_flops: 1}\n",
                "bad.yaml:4: forward_flops: '-1' is not a number >= 0"},
        BadFile{"unknown_key",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\nepochs: 3\ntensors:\n"
                "  - {name: a, elements: 1, backward_flops: 1}\n",
                "bad.yaml:5: epochs: unknown key"},
        BadFile{"no_elements_at_all",
                "name: m\ndtype: float32\nbatch: 1\nforward_flops: 1\ntensors:\n"
                "  - {name: a, elements: 0, backward_flops: 1}\n",
                "tensors: hold no elements"}),
    [](const auto& info) { return std::string(info.param.what); });

TEST(ShippedWorkloads, MatchTheirReferenceImplementations) {
  // Parameter counts of the reference implementations: torchvision's resnet50 and the
  // transformers models from their configs (tied embeddings counted once, as DDP sees them).
  const std::vector<std::pair<std::string, std::uint64_t>> models{
      {"resnet50", 25557032},      {"gpt2", 124439808},        {"bert-large", 336226108},
      {"gpt2-xl", 1557611200},     {"llama2-7b", 6738415616}};
  for (const auto& [name, params] : models) {
    const Workload w = loadWorkload(std::string(COMMSIM_SOURCE_DIR) + "/workloads/" + name + ".yaml");
    EXPECT_EQ(w.name, name);
    EXPECT_EQ(w.params(), params) << name;
    EXPECT_GT(w.forwardFlops, 0) << name;
    double backward = 0;
    for (const auto& t : w.tensors) backward += t.backwardFlops;
    // Backward costs about twice the forward pass.
    EXPECT_GT(backward, 1.5 * w.forwardFlops) << name;
    EXPECT_LT(backward, 2.5 * w.forwardFlops) << name;
  }
}

TEST(TopologyDevice, GivesTheSustainedComputeRate) {
  const std::string base = "hosts: 1\ndevices_per_host: 1\n";
  const Topology t = parseTopology(base + "device: {flops: 989 TFLOPS, efficiency: 0.4}\n", "t.yaml");
  EXPECT_DOUBLE_EQ(t.computeRate(), 989e12 * 0.4);
  EXPECT_DOUBLE_EQ(parseTopology(base, "t.yaml").computeRate(), 0);  // not stated
  const std::vector<std::pair<std::string, std::string>> bad{
      {"device: {flops: 989 TFLOP}\n", "t.yaml: device.flops: '989 TFLOP' has an unknown unit"},
      {"device: {flops: 0 TFLOPS}\n", "t.yaml: device.flops: '0 TFLOPS' must be greater than zero"},
      {"device: {flops: 1 PFLOPS, efficiency: 1.5}\n",
       "t.yaml: device.efficiency: '1.5' is not a fraction in (0, 1]"},
      {"device: {efficiency: 0.5}\n", "t.yaml: device.flops: missing"},
      {"device: {flops: 1 PFLOPS, memory: 80}\n", "t.yaml: device.memory: unknown key"}};
  for (const auto& [text, expected] : bad) {
    try {
      parseTopology(base + text, "t.yaml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// On a topology where one size needs millions of recorded messages the model scales one
// recording; the scaled time equals the recorded one wherever p divides evenly.
TEST(BucketCostModel, ScaledTimesEqualTheModelsWherePDividesEvenly) {
  const Topology topo = loadTopology(std::string(COMMSIM_SOURCE_DIR) + "/topologies/fat-tree-1024.yaml");
  const auto ring = makeAlgorithm("ring-allreduce");
  // n = 512: 2n(n-1) = 523264 messages per size, so 9 sizes are too many to record each.
  const std::uint64_t n = 512;
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t k = 1; k <= 9; ++k) sizes.push_back(n * 1000 * k);
  BucketCostModel costs(topo, *ring, static_cast<int>(n), 4, sizes);
  ASSERT_TRUE(costs.scaled());
  const double direct = predict(topo, *ring, static_cast<int>(n), n * 3000, 4).timeS;
  EXPECT_NEAR(costs.seconds(n * 3000), direct, 1e-9 * direct);
  EXPECT_DOUBLE_EQ(costs.seconds(n * 9000), predict(topo, *ring, static_cast<int>(n), n * 9000, 4).timeS);
  // Few messages: every size is predicted itself.
  BucketCostModel small(topo, *ring, 4, 4, sizes);
  EXPECT_FALSE(small.scaled());
  EXPECT_DOUBLE_EQ(small.seconds(n * 7001), predict(topo, *ring, 4, n * 7001, 4).timeS);
}

}  // namespace
}  // namespace commsim
