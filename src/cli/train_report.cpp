#include "train_report.hpp"

#include <sstream>

#include "commsim/error.hpp"
#include "harness/step_json.hpp"
#include "launch.hpp"

namespace commsim::cli {

namespace {

Json nullable(const std::optional<std::uint64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json bucketJson(const TrainReport& r, const TrainBucketRow& b, bool measured) {
  const auto& tensors = r.workload->tensors;
  Json j;
  j["index"] = &b - r.rows.data();
  j["tensors"] = b.bucket.tensors;
  j["first_tensor"] = tensors[b.bucket.firstTensor].name;
  j["last_tensor"] = tensors[b.bucket.firstTensor + b.bucket.tensors - 1].name;
  j["elements"] = b.bucket.elements;
  j["bytes"] = b.bytes;
  j["messages"] = nullable(b.messages);
  j["expected_messages"] = nullable(b.expectedMessages);
  j["total_bytes"] = nullable(b.totalBytes);
  j["expected_total_bytes"] = nullable(b.expectedTotalBytes);
  if (measured) j["wrong"] = nullable(b.wrong);
  j["start_s"] = b.span.startS;
  j["end_s"] = b.span.endS;
  if (measured) j["ok"] = b.ok;
  return j;
}

bool measured(const TrainReport& r) { return !r.rows.empty() && r.rows.front().wrong.has_value(); }

std::string count(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "-"; }

}  // namespace

TrainBucketRow countedBucketRow(const Bucket& bucket, DType dtype, const Counters& c,
                                const Expectation& e, std::uint64_t iterations) {
  TrainBucketRow row;
  row.bucket = bucket;
  row.bytes = bucket.elements * elementBytes(dtype);
  if (e.counted) {
    row.messages = c.messagesSent;
    row.expectedMessages = e.messages * iterations;
    row.totalBytes = c.bytesSent;
    row.expectedTotalBytes = e.totalBytes * iterations;
  }
  return row;
}

Json stepJson(const StepTimes& step) {
  return Json{{"compute_s", step.computeS},
              {"comm_s", step.commS},
              {"exposed_comm_s", step.exposedCommS},
              {"step_s", step.stepS},
              {"overlap", step.overlap}};
}

Json bucketCapJson(std::uint64_t capBytes) {
  return capBytes == kWholeModelBucket ? Json("all") : Json(capBytes);
}

Json trainDocument(const TrainReport& r, Json doc) {
  const Workload& w = *r.workload;
  doc["workload"] = w.name;
  doc["workload_file"] = w.source;
  doc["batch"] = w.batch;
  doc["sequence"] = w.sequence;
  doc["params"] = w.params();
  doc["tensors"] = w.tensors.size();
  doc["algorithm"] = r.algorithm;
  doc["variant"] = r.variant;
  doc["workers"] = r.workers;
  addJson(doc, w.dtype);
  doc["bucket_bytes"] = bucketCapJson(r.bucketBytes);
  doc["compute_flops_per_s"] = r.computeRate;
  doc["compute_scale"] = r.computeScale;
  doc["forward_s"] = r.forwardS;
  doc["buckets"] = Json::array();
  for (const auto& b : r.rows) doc["buckets"].push_back(bucketJson(r, b, measured(r)));
  doc["step"] = stepJson(r.step);
  doc["ok"] = r.ok;
  return doc;
}

std::vector<Json> trainCsvRows(const TrainReport& r) {
  std::vector<Json> rows;
  for (const auto& b : r.rows) {
    Json j{{"workload", r.workload->name}, {"algorithm", r.algorithm}, {"workers", r.workers}};
    j.update(bucketJson(r, b, measured(r)));
    rows.push_back(std::move(j));
  }
  return rows;
}

std::string trainText(const TrainReport& r, const std::string& title, const std::string& lines) {
  const Workload& w = *r.workload;
  std::ostringstream os;
  os << "# " << title << "\n" << lines;
  os << "#   workload " << w.name << " (" << w.source << "): " << w.params() << " parameters in "
     << w.tensors.size() << " tensors, " << dtypeName(w.dtype) << ", batch " << w.batch;
  if (w.sequence) os << ", sequence " << w.sequence;
  os << "\n#   algorithm " << r.algorithm << (r.variant.empty() ? "" : " (" + r.variant + ")")
     << ", n = " << r.workers << " workers; buckets of " << bucketCapText(r.bucketBytes)
     << " bytes\n#\n";
  const bool m = measured(r);
  std::vector<TextTable::Column> cols{{"bucket"},       {"tensors"},      {"elements"},
                                      {"bytes"},        {"messages"},     {"expected"},
                                      {"total bytes"},  {"expected"}};
  if (m) cols.push_back({"wrong"});
  cols.insert(cols.end(), {{"start(ms)"}, {"end(ms)"}, {"first tensor", true}});
  TextTable table(cols);
  for (const auto& b : r.rows) {
    std::vector<std::string> cells{std::to_string(&b - r.rows.data()), std::to_string(b.bucket.tensors),
                                   std::to_string(b.bucket.elements), std::to_string(b.bytes),
                                   count(b.messages), count(b.expectedMessages),
                                   count(b.totalBytes), count(b.expectedTotalBytes)};
    if (m) cells.push_back(count(b.wrong));
    cells.insert(cells.end(), {fixed(b.span.startS * 1e3, 3), fixed(b.span.endS * 1e3, 3),
                               w.tensors[b.bucket.firstTensor].name});
    table.add(std::move(cells));
  }
  os << table.render();
  os << "#\n# step: compute " << fixed(r.step.computeS * 1e3, 3) << " ms (forward "
     << fixed(r.forwardS * 1e3, 3) << "), comm " << fixed(r.step.commS * 1e3, 3)
     << " ms, exposed comm " << fixed(r.step.exposedCommS * 1e3, 3) << " ms, step "
     << fixed(r.step.stepS * 1e3, 3) << " ms, overlap " << fixed(r.step.overlap, 3) << "\n";
  if (m)
    os << "# " << (r.ok ? "all checks held: every bucket's counts equal its closed form and every "
                          "rank holds the exact result"
                        : "CHECK FAILED: a bucket's count differs from its closed form or a "
                          "result is wrong")
       << "\n";
  return os.str();
}

std::uint64_t WorkloadOptions::capBytes() const { return parseBucketCap(bucket, "bucket"); }

double WorkloadOptions::rate(double fallback) const {
  if (computeRate < 0)
    throw UsageError("compute-rate: " + std::to_string(computeRate) +
                     " is not allowed (FLOP/s, a number > 0)");
  return computeRate > 0 ? computeRate : fallback;
}

ComputeTimeline topologyCompute(const WorkloadOptions& o, const Workload& w, const Topology& topo) {
  const double rate = o.rate(topo.computeRate());
  if (w.needsRate() && !(rate > 0) && o.computeScale > 0)
    throw UsageError(topo.source + ": device: missing (required with --workload " + w.source +
                     ", which states FLOPs: device.flops and device.efficiency, or --compute-rate)");
  return computeTimeline(w, rate, o.computeScale);
}

void refuseParams(const std::vector<std::string>& params, const Workload& w) {
  if (!params.empty())
    throw UsageError("params: not allowed with --workload (the workload gives p: " +
                     std::to_string(w.params()) + " elements)");
}

void addWorkloadOptions(CLI::App* app, WorkloadOptions& o, bool workloadRequired) {
  auto* opt = app->add_option("--workload", o.workload,
                              "Workload file: a model's gradient tensors in backward order "
                              "(workloads/*.yaml, docs/train.md)");
  if (workloadRequired) opt->required();
  app->add_option("--bucket", o.bucket,
                  "Bucket cap in bytes (K/M/G: powers of 1024), as DDP's bucket_cap_mb; 0: one "
                  "bucket per tensor; all: one bucket for the whole model")
      ->capture_default_str();
  app->add_option("--compute-rate", o.computeRate,
                  "Sustained FLOP/s of one device, turning the workload's FLOPs into time")
      ->check(realNumber("FLOP/s, a number > 0, e.g. 4e14"));
  app->add_option("--compute-scale", o.computeScale,
                  "Multiply every compute time by X (0: no compute, communication alone)")
      ->check(realNumber("a number >= 0, e.g. 0.1"))
      ->capture_default_str();
}

}  // namespace commsim::cli
