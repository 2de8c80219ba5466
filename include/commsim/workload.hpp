// A training step's communication (SPEC §11): a model's gradient tensors in the order backward
// produces them (workloads/*.yaml, docs/train.md), the buckets DDP packs them into, and the
// timeline of one step, where buckets are synchronised while backward goes on. `commsim train`
// (measured), `commsim predict --workload` (cost model) and the simulator share every piece here,
// so the three agree on which buckets exist and how a step's fields follow from their times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/dtype.hpp"

namespace commsim {

struct WorkloadTensor {
  std::string name;
  std::uint64_t elements = 0;
  // The backward compute that runs before this tensor's gradient is ready (after the previous
  // one's): FLOPs, or seconds when the file states seconds (then flops is 0 and seconds >= 0).
  double backwardFlops = 0;
  double backwardSeconds = -1;  // < 0: not given in seconds
};

struct Workload {
  std::string name;
  std::string source;  // the file, for messages
  DType dtype = DType::Float32;
  std::uint64_t batch = 0;
  std::uint64_t sequence = 0;  // 0: the model takes no sequence (images)
  double forwardFlops = 0;
  double forwardSeconds = -1;  // < 0: not given in seconds
  std::vector<WorkloadTensor> tensors;  // in backward order

  std::uint64_t params() const;
  // Whether some compute is stated in FLOPs, so a compute rate is needed.
  bool needsRate() const;
};

// Reads and checks a workload file. Throws UsageError with one line
// "<file>:<line>: <field>: <what is wrong> (<what is allowed>)".
Workload loadWorkload(const std::string& path);
Workload parseWorkload(std::string_view yaml, const std::string& source);

// --bucket: a cap in bytes (SPEC §9), or "all" for one bucket holding the whole model.
inline constexpr std::uint64_t kWholeModelBucket = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint64_t kDefaultBucketBytes = 25ull << 20;  // DDP's bucket_cap_mb = 25
// Throws UsageError naming `what` unless `text` is a size (SPEC §9) or "all".
std::uint64_t parseBucketCap(std::string_view text, std::string_view what = "bucket");
// "26214400", or "all".
std::string bucketCapText(std::uint64_t capBytes);

struct Bucket {
  std::size_t firstTensor = 0;
  std::size_t tensors = 0;
  std::uint64_t offset = 0;    // elements before it in the flat gradient (backward order)
  std::uint64_t elements = 0;
};

// The bucket rule (SPEC §11), the one place it lives: tensors in backward order join the current
// bucket, which closes once its bytes reach the cap. Cap 0: one bucket per tensor;
// kWholeModelBucket: one bucket for the whole model. PyTorch DDP 2.15 forms exactly these once it
// has rebuilt its buckets in gradient-ready order; its 1 MiB first bucket
// (_DEFAULT_FIRST_BUCKET_BYTES) is gone by then (scripts/ddp_buckets.py, docs/train.md).
std::vector<Bucket> formBuckets(std::span<const std::uint64_t> tensorElements,
                                std::size_t elementBytes, std::uint64_t capBytes);
std::vector<Bucket> formBuckets(const Workload& workload, std::uint64_t capBytes);

// The modelled compute of one step, in seconds from the step's start: forward, then backward
// tensor by tensor. FLOPs become seconds at `flopsPerSecond`; everything is multiplied by `scale`.
struct ComputeTimeline {
  double forwardS = 0;
  double computeS = 0;             // forward + backward
  std::vector<double> tensorReadyS;  // when each tensor's gradient is ready
  // When each bucket is full: its last tensor's ready time.
  std::vector<double> bucketReadyS(std::span<const Bucket> buckets) const;
};
// Throws UsageError when FLOPs must be converted and flopsPerSecond is not > 0, or scale < 0.
ComputeTimeline computeTimeline(const Workload& workload, double flopsPerSecond, double scale);

struct BucketSpan {
  double startS = 0;
  double endS = 0;
};

// Buckets queued on the network in order: each starts when it is full and the previous one has
// ended, and takes its duration.
std::vector<BucketSpan> queueBuckets(std::span<const double> readyS,
                                     std::span<const double> durationS);

// SPEC §11's step fields from the compute time and the buckets' spans.
struct StepTimes {
  double computeS = 0;
  double commS = 0;        // sum of the buckets' synchronisation times
  double exposedCommS = 0;  // from the end of backward to the end of the last bucket (>= 0)
  double stepS = 0;        // compute + exposed
  double overlap = 0;      // 1 - exposed / comm (1 when nothing is communicated)
};
StepTimes stepTimes(double computeS, std::span<const BucketSpan> spans);

}  // namespace commsim
