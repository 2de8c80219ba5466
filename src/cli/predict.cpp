// commsim predict: the alpha-beta cost model on a topology file, for lists of n and p. No MPI:
// nothing is sent, so it runs anywhere, for clusters larger than the one at hand.
#include <climits>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "model_options.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/dtype.hpp"
#include "commsim/error.hpp"
#include "commsim/size_parse.hpp"
#include "commsim/topology.hpp"
#include "output.hpp"

namespace commsim::cli {

namespace {

using PredictArgs = ModelArgs;

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
  return Json{{"topology", t.name},
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
              {"copy_term_s", p.localTermS},
              {"algbw_GBps", p.algbwBps / kGiga},
              {"busbw_GBps", p.busbwBps / kGiga},
              {"busbw_factor", p.busbwFactor},
              {"latency_s", p.latencyS},
              {"bandwidth_Bps", p.bandwidthBps},
              {"bottleneck", p.bottleneck},
              {"link_bandwidth_Bps", p.linkBandwidthBps},
              {"hosts_used", p.hostsUsed},
              {"rounds", p.rounds},
              {"formula", p.formula}};
}

Json document(const Topology& t, DType dtype, const PredictArgs& a, const std::vector<Json>& rows) {
  Json doc;
  doc["command"] = "predict";
  doc["model"] = "alpha-beta";
  doc["topology"] = Json{{"name", t.name},
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
                         {"switch_latency_s", t.fabric.switchLatencyS}};
  doc["dtype"] = dtypeName(dtype);
  doc["element_bytes"] = elementBytes(dtype);
  doc["gamma_s_per_byte"] = a.gamma;
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

int runPredict(const PredictArgs& given) {
  // Everything is checked and computed before anything is printed or written (SPEC §7).
  const Format format = parseFormat(given.format);
  const Topology topo = loadTopology(given.topology);
  PredictArgs a = given;
  a.gamma = modelGamma(given, topo);
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
  const std::string json = document(topo, dtype, a, rows).dump(2) + "\n";
  const std::string csv = toCsv(rows);
  if (!a.jsonFile.empty()) writeFileAtomically(a.jsonFile, json);
  if (!a.csvFile.empty()) writeFileAtomically(a.csvFile, csv);
  switch (format) {
    case Format::kJson: std::fputs(json.c_str(), stdout); break;
    case Format::kCsv: std::fputs(csv.c_str(), stdout); break;
    case Format::kText: std::fputs(text(topo, dtype, a, predictions).c_str(), stdout); break;
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
}

}  // namespace

void addPredictCommand(CLI::App& root, std::vector<Command>& commands) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* app = root.add_subcommand(
      "predict", "Predict the step with the alpha-beta cost model on a topology file (no MPI)");
  addModelOptions(app, *a,
                  {"topologies/dgx-h100.yaml", "2,4,8", "float32, float64, float16, bfloat16",
                   "Reduction cost, seconds per byte reduced"});
  commands.push_back({app, [a](ProcessArgs) { return runPredict(*a); }});
}

}  // namespace commsim::cli
