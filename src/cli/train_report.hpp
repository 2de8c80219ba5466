// The document of a training step (SPEC §11), as `commsim train` measures it and `commsim predict
// --workload` models it: one row per bucket and the step's fields, rendered to JSON, CSV and
// text from these values (docs/train.md lists the fields).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commsim/harness.hpp"
#include "commsim/topology.hpp"
#include "commsim/workload.hpp"
#include "output.hpp"

namespace commsim::cli {

struct TrainBucketRow {
  Bucket bucket;
  std::uint64_t bytes = 0;
  // Null for a library's baseline, whose messages are not counted.
  std::optional<std::uint64_t> messages, expectedMessages, totalBytes, expectedTotalBytes;
  std::optional<std::uint64_t> wrong;  // measured runs only
  BucketSpan span;
  bool ok = true;
};

// A bucket's row from what the transport counted over `iterations` synchronisations of it, set
// against `iterations` times its closed form; null counts for a baseline. Its span, wrong and ok
// are the caller's.
TrainBucketRow countedBucketRow(const Bucket& bucket, DType dtype, const Counters& counters,
                                const Expectation& expected, std::uint64_t iterations);

struct TrainReport {
  const Workload* workload = nullptr;
  std::string algorithm;
  std::string variant;
  int workers = 0;
  std::uint64_t bucketBytes = 0;       // the cap, kWholeModelBucket for all
  double computeRate = 0;              // FLOP/s (0: compute stated in seconds)
  double computeScale = 1;
  double forwardS = 0;
  std::vector<TrainBucketRow> rows;
  StepTimes step;
  bool ok = true;
};

// The fields of SPEC §11 after `header` (command, transport or topology: what the caller adds).
Json trainDocument(const TrainReport& r, Json header);
// The step's fields (compute_s, comm_s, exposed_comm_s, step_s, overlap), and a bucket cap's
// (its bytes, or "all"), as the documents of train and predict --bucket-sweep write them.
Json stepJson(const StepTimes& step);
Json bucketCapJson(std::uint64_t capBytes);
std::vector<Json> trainCsvRows(const TrainReport& r);
// `lines`: the caller's "# ..." lines that say what ran where.
std::string trainText(const TrainReport& r, const std::string& title, const std::string& lines);

// Options that train and predict --workload share.
struct WorkloadOptions {
  std::string workload;
  std::string bucket = "25M";
  double computeRate = 0;   // 0: the topology's device (predict) or the default (train)
  double computeScale = 1;
  std::uint64_t capBytes() const;
  // --compute-rate if given, else `fallback`; UsageError for a negative rate.
  double rate(double fallback) const;
};
void addWorkloadOptions(CLI::App* app, WorkloadOptions& o, bool workloadRequired);

// predict and simulate: the compute timeline at --compute-rate or the topology's device rate;
// UsageError naming the topology when FLOPs need a rate neither gives.
ComputeTimeline topologyCompute(const WorkloadOptions& o, const Workload& w, const Topology& topo);
// UsageError when --params was given beside --workload.
void refuseParams(const std::vector<std::string>& params, const Workload& w);

}  // namespace commsim::cli
