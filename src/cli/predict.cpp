// commsim predict: the alpha-beta cost model on a topology file, for lists of n and p. No MPI:
// nothing is sent, so it runs anywhere, for clusters larger than the one at hand.
#include <climits>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/dtype.hpp"
#include "commsim/error.hpp"
#include "commsim/step_report.hpp"
#include "commsim/topology.hpp"
#include "commsim/workload.hpp"
#include "core/size_parse.hpp"
#include "harness/step_json.hpp"
#include "model_options.hpp"
#include "output.hpp"
#include "train_report.hpp"

namespace commsim::cli {

namespace {

struct PredictArgs : ModelArgs {
  WorkloadOptions workload;
  bool bucketSweep = false;
};

constexpr double kGiga = 1e9;  // GB/s in the output are 10^9 bytes per second, as in nccl-tests

std::vector<int> parseWorkers(const std::vector<std::string>& texts) {
  std::vector<int> out;
  for (const auto& t : texts) {
    const std::uint64_t v = parseSize(t, "--workers");
    if (v < 1 || v > static_cast<std::uint64_t>(INT_MAX)) {
      throw UsageError("--workers: '" + t + "' is out of range (allowed: 1 to " +
                       std::to_string(INT_MAX) + ")");
    }
    out.push_back(static_cast<int>(v));
  }
  return out;
}

std::string oneLine(const Topology& t) {
  char buf[512];
  std::string s = std::to_string(t.hosts) + (t.hosts > 1 ? " hosts x " : " host x ") +
                  std::to_string(t.devicesPerHost) + (t.devicesPerHost > 1 ? " devices" : " device");
  if (t.devicesPerHost > 1) {
    std::snprintf(buf, sizeof buf, "; intra-host %.4g GB/s, %.4g us", t.intraHost.bandwidthBps / kGiga,
                  t.intraHost.latencyS * 1e6);
    s += buf;
  }
  if (t.hosts > 1) {
    std::snprintf(buf, sizeof buf, "; NIC %d x %.4g GB/s, %.4g us; fabric %s", t.nicsPerHost,
                  t.nic.bandwidthBps / kGiga, t.nic.latencyS * 1e6,
                  std::string(fabricName(t.fabric.kind)).c_str());
    s += buf;
    if (t.fabric.kind == FabricKind::FatTree) {
      s += ", " + std::to_string(t.fabric.hostsPerLeaf) + " hosts per leaf";
    }
    if (t.fabric.kind != FabricKind::NonBlocking) {
      std::snprintf(buf, sizeof buf, ", %.4g:1", t.fabric.oversubscription);
      s += buf;
    }
  }
  return s;
}

std::string paradigmLabel(const Prediction& p) {
  std::string s = p.paradigm;
  if (!p.variant.empty()) s += " (" + p.variant + ")";
  return s;
}

Json row(const Topology& t, DType dtype, const Prediction& p) {
  Json j{{"topology", t.name},
         {"paradigm", p.paradigm},
         {"variant", p.variant},
         {"workers", p.workers},
         {"params", p.params},
         {"dtype", dtypeName(dtype)},
         {"size_bytes", p.params * p.elementBytes},
         {"time_s", p.timeS},
         {"latency_term_s", p.latencyTermS},
         {"bandwidth_term_s", p.bandwidthTermS},
         {"reduce_term_s", p.reduceTermS},
         {"copy_term_s", p.localTermS}};
  addJson(j, Bandwidth{p.algbwBps / kGiga, p.busbwBps / kGiga});
  j["busbw_factor"] = p.busbwFactor;
  j["latency_s"] = p.latencyS;
  j["bandwidth_Bps"] = p.bandwidthBps;
  j["bottleneck"] = p.bottleneck;
  j["link_bandwidth_Bps"] = p.linkBandwidthBps;
  j["hosts_used"] = p.hostsUsed;
  j["rounds"] = p.rounds;
  j["formula"] = p.formula;
  return j;
}

Json topologyJson(const Topology& t) {
  return Json{{"name", t.name},
              {"file", t.source},
              {"hosts", t.hosts},
              {"devices_per_host", t.devicesPerHost},
              {"slots", t.slots()},
              {"intra_host_bandwidth_Bps", t.intraHost.bandwidthBps},
              {"intra_host_latency_s", t.intraHost.latencyS},
              {"nic_bandwidth_Bps", t.nic.bandwidthBps},
              {"nic_latency_s", t.nic.latencyS},
              {"nics_per_host", t.nicsPerHost},
              {"fabric", fabricName(t.fabric.kind)},
              {"oversubscription", t.fabric.oversubscription},
              {"hosts_per_leaf", t.fabric.hostsPerLeaf},
              {"switch_latency_s", t.fabric.switchLatencyS},
              {"device_flops", t.deviceFlops},
              {"device_efficiency", t.deviceEfficiency}};
}

// How predict's documents start. With --workload the workload's document gives the element type.
struct PredictHeader {
  const Topology* topology = nullptr;
  std::optional<DType> dtype;  // absent with --workload
  double gammaSPerByte = 0;
};

Json toJson(const PredictHeader& h) {
  Json doc;
  doc["command"] = "predict";
  doc["model"] = "alpha-beta";
  doc["topology"] = topologyJson(*h.topology);
  if (h.dtype) addJson(doc, *h.dtype);
  doc["gamma_s_per_byte"] = h.gammaSPerByte;
  return doc;
}

Json document(const Topology& t, DType dtype, const PredictArgs& a, const std::vector<Json>& rows) {
  Json doc = toJson(PredictHeader{&t, dtype, a.gamma});
  doc["rows"] = rows;
  return doc;
}

std::string text(const Topology& t, DType dtype, const PredictArgs& a,
                 const std::vector<Prediction>& predictions) {
  char head[256];
  std::snprintf(head, sizeof head, "# dtype %s (%zu bytes), gamma %g s/byte; GB/s = 10^9 bytes/s\n",
                std::string(dtypeName(dtype)).c_str(), elementBytes(dtype), a.gamma);
  std::string out = "# commsim predict: alpha-beta cost model, nothing is sent (docs/predict.md)\n";
  out += "# topology " + t.name + " (" + t.source + "): " + oneLine(t) + "\n";
  out += head;
  out += "#\n";
  TextTable table({{"workers"}, {"params"}, {"size(B)"}, {"paradigm", true}, {"time(us)"},
                   {"algbw(GB/s)"}, {"busbw(GB/s)"}, {"alpha(us)"}, {"B(GB/s)"},
                   {"bottleneck", true}});
  for (const auto& p : predictions) {
    table.add({std::to_string(p.workers), std::to_string(p.params),
               std::to_string(p.params * p.elementBytes), paradigmLabel(p), fixed(p.timeS * 1e6, 2),
               fixed(p.algbwBps / kGiga, 3), fixed(p.busbwBps / kGiga, 3),
               fixed(p.latencyS * 1e6, 3), fixed(p.bandwidthBps / kGiga, 3), p.bottleneck});
  }
  return out + table.render();
}


// One modelled training step: the compute timeline and the buckets queued on the network, each
// taking the cost model's time for its size.
TrainReport modelStep(const Workload& w, const Paradigm& paradigm, const Layout& layout,
                      std::uint64_t cap, const ComputeTimeline& compute,
                      BucketCostModel& costs) {
  TrainReport rep;
  rep.workload = &w;
  rep.algorithm = std::string(paradigm.name());
  rep.variant = paradigm.variant(layout);
  rep.workers = layout.workers;
  rep.bucketBytes = cap;
  rep.forwardS = compute.forwardS;
  const std::vector<Bucket> buckets = formBuckets(w, cap);
  const std::size_t s = elementBytes(w.dtype);
  std::vector<double> durations;
  for (const Bucket& b : buckets) durations.push_back(costs.seconds(b.elements));
  const std::vector<double> ready = compute.bucketReadyS(buckets);
  const std::vector<BucketSpan> spans = queueBuckets(ready, durations);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const Expectation e = paradigm.expect(layout, buckets[i].elements, s);
    TrainBucketRow row;
    row.bucket = buckets[i];
    row.bytes = buckets[i].elements * s;
    row.messages = row.expectedMessages = e.messages;
    row.totalBytes = row.expectedTotalBytes = e.totalBytes;
    row.span = spans[i];
    rep.rows.push_back(row);
  }
  rep.step = stepTimes(compute.computeS, spans);
  return rep;
}

void emit(const PredictArgs& a, Format format, const Json& doc, const std::vector<Json>& rows,
          const std::string& text) {
  const std::string json = doc.dump(2) + "\n";
  const std::string csv = toCsv(rows);
  if (!a.jsonFile.empty()) writeFileAtomically(a.jsonFile, json);
  if (!a.csvFile.empty()) writeFileAtomically(a.csvFile, csv);
  switch (format) {
    case Format::kJson: std::fputs(json.c_str(), stdout); break;
    case Format::kCsv: std::fputs(csv.c_str(), stdout); break;
    case Format::kText: std::fputs(text.c_str(), stdout); break;
  }
}

// The caps --bucket-sweep tries: 1 MiB, 2 MiB, ... while smaller than the model, then all.
std::vector<std::uint64_t> sweepCaps(std::uint64_t modelBytes) {
  std::vector<std::uint64_t> caps;
  for (std::uint64_t c = std::uint64_t{1} << 20; c < modelBytes; c *= 2) caps.push_back(c);
  caps.push_back(kWholeModelBucket);
  return caps;
}

int runPredictWorkload(const PredictArgs& given) {
  const Format format = parseFormat(given.format);
  const Topology topo = loadTopology(given.topology);
  PredictArgs a = given;
  resolveGamma(a, topo);
  const Workload w = loadWorkload(a.workload.workload);
  refuseParams(a.params, w);
  const std::vector<int> workers = parseWorkers(a.workers);
  if (workers.size() != 1)
    throw UsageError("workers: " + std::to_string(workers.size()) +
                     " values given; with --workload name exactly one n");
  const int n = workers.front();
  const auto algorithms = modelAlgorithms(a);
  if (!a.bucketSweep && algorithms.size() != 1)
    throw UsageError("algorithm: " + std::to_string(algorithms.size()) +
                     " given; with --workload name exactly one (or use --bucket-sweep)");
  const std::uint64_t cap = a.workload.capBytes();
  const double rate = a.workload.rate(topo.computeRate());
  const ComputeTimeline compute = topologyCompute(a.workload, w, topo);
  const PredictOptions options = modelOptions(a, topo);
  if (!a.jsonFile.empty()) ensureWritable(a.jsonFile, "--json");
  if (!a.csvFile.empty()) ensureWritable(a.csvFile, "--csv");
  const std::uint64_t modelBytes = w.params() * elementBytes(w.dtype);
  const std::vector<std::uint64_t> caps =
      a.bucketSweep ? sweepCaps(modelBytes) : std::vector<std::uint64_t>{cap};

  const Json header = toJson(PredictHeader{&topo, std::nullopt, a.gamma});
  std::vector<TrainReport> reports;
  for (const auto& algorithm : algorithms) {
    const Layout layout = modelLayout(topo, *algorithm, n);
    // Every size any cap of the run will ask for, so the model knows which it must record.
    std::vector<std::uint64_t> sizes;
    for (std::uint64_t c : caps)
      for (const Bucket& b : formBuckets(w, c))
        sizes.push_back(b.elements);
    BucketCostModel costs(topo, *algorithm, n, elementBytes(w.dtype), sizes, options);
    for (std::uint64_t c : caps)
      reports.push_back(modelStep(w, *algorithm, layout, c, compute, costs));
  }
  const double rateShown = w.needsRate() ? rate : 0;
  for (auto& r : reports) {
    r.computeRate = rateShown;
    r.computeScale = a.workload.computeScale;
  }
  const std::string lines = "#   topology " + topo.name + " (" + topo.source + "): " + oneLine(topo) +
                            "\n#   compute " + (rateShown > 0 ? fixed(rateShown / 1e12, 1) + " TFLOP/s sustained" : std::string("in seconds")) +
                            ", scale " + fixed(a.workload.computeScale, 3) + "\n";
  if (!a.bucketSweep) {
    const TrainReport& r = reports.front();
    emit(a, format, trainDocument(r, header), trainCsvRows(r),
         trainText(r, "commsim predict --workload: a training step from the alpha-beta cost "
                      "model, buckets queued on the network (docs/train.md)", lines));
    return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
  }

  // The sweep: one row per algorithm and cap; the shortest step recommended.
  const TrainReport* best = &reports.front();
  std::vector<Json> rows;
  TextTable table({{"algorithm", true}, {"bucket", true}, {"buckets"}, {"compute(ms)"},
                   {"comm(ms)"}, {"exposed(ms)"}, {"step(ms)"}, {"overlap"}});
  for (const TrainReport& r : reports) {
    if (r.step.stepS < best->step.stepS) best = &r;
    Json row{{"algorithm", r.algorithm},
             {"workers", r.workers},
             {"bucket_bytes", bucketCapJson(r.bucketBytes)},
             {"buckets", r.rows.size()}};
    row.update(stepJson(r.step));
    rows.push_back(row);
    table.add({r.algorithm, r.bucketBytes == kWholeModelBucket ? "all" : humanBytes(r.bucketBytes),
               std::to_string(r.rows.size()), fixed(r.step.computeS * 1e3, 3),
               fixed(r.step.commS * 1e3, 3), fixed(r.step.exposedCommS * 1e3, 3),
               fixed(r.step.stepS * 1e3, 3), fixed(r.step.overlap, 3)});
  }
  Json doc = header;
  doc["workload"] = w.name;
  doc["params"] = w.params();
  doc["tensors"] = w.tensors.size();
  doc["workers"] = n;
  doc["element_bytes"] = elementBytes(w.dtype);
  doc["sweep"] = rows;
  doc["recommended"] = Json{{"algorithm", best->algorithm},
                            {"bucket_bytes", bucketCapJson(best->bucketBytes)},
                            {"step_s", best->step.stepS}};
  const std::string text =
      "# commsim predict --workload --bucket-sweep: step time against bucket cap\n" + lines +
      "#   workload " + w.name + ": " + std::to_string(w.params()) + " parameters, n = " +
      std::to_string(n) + " workers\n#\n" + table.render() + "#\n# recommended: " +
      best->algorithm + " with buckets of " + bucketCapText(best->bucketBytes) +
      " bytes, step " + fixed(best->step.stepS * 1e3, 3) + " ms\n";
  emit(a, format, doc, rows, text);
  return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
}

int runPredict(const PredictArgs& given) {
  if (!given.workload.workload.empty()) return runPredictWorkload(given);
  if (given.bucketSweep) throw UsageError("bucket-sweep: needs --workload FILE");
  if (given.params.empty())
    throw UsageError("--params is required (gradient elements p), unless --workload FILE gives them");
  // Everything is checked and computed before anything is printed or written (SPEC §7).
  const Format format = parseFormat(given.format);
  const Topology topo = loadTopology(given.topology);
  PredictArgs a = given;
  resolveGamma(a, topo);
  const DType dtype = parseDType(a.dtype);
  const std::vector<int> workers = parseWorkers(a.workers);
  std::vector<std::uint64_t> params;
  for (const auto& t : a.params) params.push_back(parseSize(t, "--params"));
  const auto algorithms = modelAlgorithms(a);
  const PredictOptions options = modelOptions(a, topo);
  if (!a.jsonFile.empty()) ensureWritable(a.jsonFile, "--json");
  if (!a.csvFile.empty()) ensureWritable(a.csvFile, "--csv");

  std::vector<Prediction> predictions;
  for (int n : workers)
    for (std::uint64_t p : params)
      for (const auto& algorithm : algorithms)
        predictions.push_back(predict(topo, *algorithm, n, p, elementBytes(dtype), options));

  std::vector<Json> rows;
  for (const auto& p : predictions) rows.push_back(row(topo, dtype, p));
  emit(a, format, document(topo, dtype, a, rows), rows,
       format == Format::kText ? text(topo, dtype, a, predictions) : "");
  return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
}

}  // namespace

void addPredictCommand(CLI::App& root, std::vector<Command>& commands) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* app = root.add_subcommand(
      "predict", "Predict the step with the alpha-beta cost model on a topology file (no MPI)");
  addModelOptions(app, *a,
                  {"topologies/dgx-h100.yaml", "2,4,8", "float32, float64, float16, bfloat16",
                   "Reduction cost, seconds per byte reduced", /*paramsRequired=*/false});
  addWorkloadOptions(app, a->workload, /*workloadRequired=*/false);
  app->add_flag("--bucket-sweep", a->bucketSweep,
                "With --workload: try bucket caps from 1 MiB to the whole model (powers of two) "
                "for each algorithm and recommend the shortest step");
  commands.push_back({app, [a](ProcessArgs) { return runPredict(*a); }});
}

}  // namespace commsim::cli
