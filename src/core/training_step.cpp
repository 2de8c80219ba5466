// The parts of a training step that need no file and no network: the bucket rule and the step's
// timeline (commsim/workload.hpp). Apart from the loader so the simulator, built without
// yaml-cpp, runs the same code.
#include <algorithm>
#include <cmath>

#include "commsim/error.hpp"
#include "commsim/workload.hpp"
#include "core/size_parse.hpp"

namespace commsim {

std::uint64_t Workload::params() const {
  std::uint64_t p = 0;
  for (const auto& t : tensors) p += t.elements;
  return p;
}

bool Workload::needsRate() const {
  if (forwardSeconds < 0) return true;
  return std::any_of(tensors.begin(), tensors.end(),
                     [](const WorkloadTensor& t) { return t.backwardSeconds < 0; });
}

std::uint64_t parseBucketCap(std::string_view text, std::string_view what) {
  if (text == "all") return kWholeModelBucket;
  std::string why;
  if (const auto v = tryParseSize(text, &why)) return *v;
  throw UsageError(std::string(what) + ": " + why + "; or all for one bucket of the whole model");
}

std::string bucketCapText(std::uint64_t capBytes) {
  return capBytes == kWholeModelBucket ? "all" : std::to_string(capBytes);
}

std::vector<Bucket> formBuckets(std::span<const std::uint64_t> tensorElements,
                                std::size_t elementBytes, std::uint64_t capBytes) {
  std::vector<Bucket> buckets;
  Bucket current;
  std::uint64_t offset = 0;
  bool open = false;
  for (std::size_t i = 0; i < tensorElements.size(); ++i) {
    if (!open) {
      current = Bucket{i, 0, offset, 0};
      open = true;
    }
    ++current.tensors;
    current.elements += tensorElements[i];
    offset += tensorElements[i];
    if (capBytes != kWholeModelBucket && current.elements * elementBytes >= capBytes) {
      buckets.push_back(current);
      open = false;
    }
  }
  if (open) buckets.push_back(current);
  return buckets;
}

std::vector<Bucket> formBuckets(const Workload& w, std::uint64_t capBytes) {
  std::vector<std::uint64_t> elements;
  for (const auto& t : w.tensors) elements.push_back(t.elements);
  return formBuckets(elements, elementBytes(w.dtype), capBytes);
}

std::vector<double> ComputeTimeline::bucketReadyS(std::span<const Bucket> buckets) const {
  std::vector<double> ready;
  for (const Bucket& b : buckets) ready.push_back(tensorReadyS[b.firstTensor + b.tensors - 1]);
  return ready;
}

ComputeTimeline computeTimeline(const Workload& w, double flopsPerSecond, double scale) {
  if (!(scale >= 0) || !std::isfinite(scale))
    throw UsageError("compute-scale: " + std::to_string(scale) + " is not allowed (a number >= 0)");
  const bool rated = flopsPerSecond > 0 && std::isfinite(flopsPerSecond);
  if (scale > 0 && w.needsRate() && !rated)
    throw UsageError(w.source + ": states compute in FLOPs, so a compute rate > 0 is needed "
                     "(--compute-rate FLOP/s, or a topology with device.flops)");
  const auto seconds = [&](double flops, double s) {
    if (scale == 0) return 0.0;  // no compute: FLOPs need no rate
    return (s >= 0 ? s : flops / flopsPerSecond) * scale;
  };
  ComputeTimeline c;
  c.forwardS = seconds(w.forwardFlops, w.forwardSeconds);
  double t = c.forwardS;
  for (const auto& tensor : w.tensors) {
    t += seconds(tensor.backwardFlops, tensor.backwardSeconds);
    c.tensorReadyS.push_back(t);
  }
  c.computeS = t;
  return c;
}

std::vector<BucketSpan> queueBuckets(std::span<const double> readyS,
                                     std::span<const double> durationS) {
  std::vector<BucketSpan> spans;
  double free = 0;
  for (std::size_t i = 0; i < readyS.size(); ++i) {
    const double start = std::max(readyS[i], free);
    free = start + durationS[i];
    spans.push_back({start, free});
  }
  return spans;
}

StepTimes stepTimes(double computeS, std::span<const BucketSpan> spans) {
  StepTimes s;
  s.computeS = computeS;
  double last = computeS;
  for (const BucketSpan& b : spans) {
    s.commS += b.endS - b.startS;
    last = std::max(last, b.endS);
  }
  s.exposedCommS = last - computeS;
  s.stepS = computeS + s.exposedCommS;
  s.overlap = s.commS > 0 ? 1.0 - s.exposedCommS / s.commS : 1.0;
  return s;
}

}  // namespace commsim
