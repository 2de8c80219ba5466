// `commsim simulate`: the same paradigm code under SimGrid's SMPI on a topology's platform.
// `commsim platform`: that platform, for smpirun by hand.
//
// simulate writes the platform and a hostfile into a scratch directory, starts
// `smpirun ... commsim-smpi` once per (n, p, paradigm), reads the simulator's JSON and sets the
// simulated time, the counted messages and bytes and the cost model's prediction side by side.
#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/dtype.hpp"
#include "commsim/error.hpp"
#include "commsim/platform.hpp"
#include "commsim/step_report.hpp"
#include "commsim/topology.hpp"
#include "commsim/workload.hpp"
#include "core/size_parse.hpp"
#include "core/subprocess.hpp"
#include "harness/step_json.hpp"
#include "launch.hpp"
#include "model_options.hpp"
#include "output.hpp"
#include "simulate.hpp"
#include "trace_options.hpp"
#include "train_report.hpp"

#ifndef COMMSIM_SMPIRUN
#define COMMSIM_SMPIRUN "smpirun"
#endif

namespace commsim::cli {

namespace {

namespace fs = std::filesystem;

struct SimulateArgs : ModelArgs {
  WorkloadOptions workload;
  std::string network = "ideal";
  bool checkValues = false;
  std::string keep;
  std::string timeout = "600";  // seconds one smpirun may take (0: no limit)
  TraceOptions trace;
};

constexpr double kGiga = 1e9;
// Simulated ranks beyond this are refused: the point is 1024, and SimGrid's memory grows with it.
constexpr int kMaxWorkers = 4096;
// --check-values gives every simulated rank real buffers: 3*p*s each.
constexpr std::uint64_t kMaxCheckedBytes = std::uint64_t{2} << 30;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out.flush()) throw Error("cannot write '" + p.string() + "'");
}

std::string lastLines(const std::string& text, int lines) {
  std::size_t at = text.size();
  for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i) at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

// The simulator sits next to the commsim binary (build tree and install alike); COMMSIM_SMPI
// overrides.
fs::path simulatorCandidate() {
  if (const char* env = std::getenv("COMMSIM_SMPI")) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::path(".") : self.parent_path()) / "commsim-smpi";
}

fs::path simulatorPath() {
  const fs::path next = simulatorCandidate();
  if (!fs::exists(next))
    throw UsageError("simulate: the simulator " + next.string() +
                     " is missing: this commsim was built without SimGrid (install libsimgrid-dev, "
                     "or scripts/bootstrap.sh --extra simgrid, and rebuild: scripts/build.sh)");
  return next;
}

std::string smpirunPath() {
  if (const char* env = std::getenv("COMMSIM_SMPIRUN")) return env;
  return COMMSIM_SMPIRUN;
}

// The allocator preloaded into the simulator (LD_PRELOAD), or "" for the C library's: jemalloc
// where the build found it and it is still there. SimGrid allocates for every simulated message;
// halving-doubling at 1024 ranks took 20.5-23.1 s of user CPU with jemalloc, 33.6-35.3 s without
// (GPT-2 XL, 100 MiB buckets, docs/simulate.md). COMMSIM_SIM_MALLOC= (empty) turns it off,
// COMMSIM_SIM_MALLOC=PATH preloads another.
std::string simulatorMalloc() {
  if (const char* env = std::getenv("COMMSIM_SIM_MALLOC")) return env;
#ifdef COMMSIM_SIM_MALLOC
  std::error_code ec;
  if (fs::exists(COMMSIM_SIM_MALLOC, ec)) return COMMSIM_SIM_MALLOC;
#endif
  return "";
}

// The network model options. "ideal": SimGrid's links exactly as the platform states them, the
// alpha-beta assumptions of the closed forms. "smpi": SMPI's calibrated defaults (bandwidth and
// latency factors by message size, TCP window, reverse-direction cross traffic).
// Every digit: std::to_string writes gamma = 1e-10 s/byte as "0.000000".
std::string exactNumber(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Cost pieces as the simulator reads them: "up_to:seconds_per_byte;...".
std::string pieceList(const std::vector<CostPiece>& pieces) {
  std::string out;
  for (const CostPiece& p : pieces)
    out += (out.empty() ? "" : ";") + std::to_string(p.upToBytes) + ":" + exactNumber(p.sPerByte);
  return out;
}

// A piecewise topology's factors replace the ideal network's 1s (simgridFactors).
std::vector<std::string> networkConfig(const std::string& network, const Topology& topo,
                                       std::uint64_t stepBytes = 0) {
  if (network == "smpi") return {};
  if (network == "ideal") {
    const SmpiFactors f = simgridFactors(topo, stepBytes);
    return {"--cfg=smpi/bw-factor:" + f.bandwidth, "--cfg=smpi/lat-factor:" + f.latency,
            "--cfg=network/crosstraffic:0", "--cfg=network/TCP-gamma:0"};
  }
  throw UsageError("network: '" + network + "' is not known (allowed: ideal, smpi)");
}

struct Scratch {
  fs::path dir;
  bool remove = false;
  ~Scratch() {
    std::error_code ec;
    if (remove) fs::remove_all(dir, ec);
  }
};

// Where one run's trace goes (simulate --trace joins them).
fs::path traceFileOf(const fs::path& dir, const std::string& tag) { return dir / (tag + ".trace.json"); }

// Runs the simulator under smpirun for one layout of `algorithm`, its result JSON into `result`;
// `extra` says what to run (--params P, or --train-plan FILE). The pieces are those of a step over
// stepBytes per rank (inStep), as predict prices it. Throws when it fails.
ChildRun runSimulator(const SimulateArgs& a, const Topology& given, const fs::path& dir,
                      const fs::path& platform, const Layout& layout, const std::string& name,
                      const std::string& tag, const fs::path& result,
                      const std::vector<std::string>& extra, DType dtype, std::uint64_t stepBytes) {
  const Topology topo = inStep(given, stepBytes);
  const long long ranks = layout.worldSize;
  const fs::path hostfile = dir / (tag + ".hosts");
  const fs::path log = dir / (tag + ".log");
  writeFile(hostfile, simgridHostfile(ranks));
  fs::remove(result);
  std::vector<std::string> argv = {smpirunPath(), "-np", std::to_string(ranks), "-platform",
                                    platform.string(), "-hostfile", hostfile.string(),
                                    "-no-privatize", "--cfg=smpi/tmpdir:" + dir.string(),
                                    // Only injected reduction costs take simulated time, so a run
                                    // is deterministic; MPI_Wtime costs nothing.
                                    "--cfg=smpi/simulate-computation:no", "--cfg=smpi/wtime:0",
                                    std::string("--cfg=smpi/host-speed:") + kSimulatedHostSpeed,
                                    // One shared block per allocation site: SMPI's default
                                    // ("global") maps 1 MiB pieces and runs out of mappings.
                                    "--cfg=smpi/shared-malloc:local"};
  for (auto& c : networkConfig(a.network, given, stepBytes)) argv.push_back(c);
  argv.insert(argv.end(), {simulatorPath().string(), "--paradigm", name, "--dtype",
                           std::string(dtypeName(dtype)), "--gamma", exactNumber(a.gamma),
                           "--copy", exactNumber(topo.copySPerByte), "--json", result.string(),
                           // The algorithm's options, and the placement predict assumed.
                           "--servers", std::to_string(a.algorithm.servers), "--segments",
                           std::to_string(a.algorithm.segments), "--ranks-per-host",
                           std::to_string(a.algorithm.ranksPerHost), "--workers-per-host",
                           std::to_string(layout.workersPerHost)});
  if (a.algorithm.colocated) argv.push_back("--colocated");
  if (a.checkValues) argv.push_back("--check-values");
  // Only when there are pieces: smpirun, a shell script, drops empty arguments.
  if (a.gammaFromTopology && !topo.gammaPieces.empty())
    argv.insert(argv.end(), {"--gamma-pieces", pieceList(topo.gammaPieces)});
  if (!topo.copyPieces.empty()) argv.insert(argv.end(), {"--copy-pieces", pieceList(topo.copyPieces)});
  // A cost the file gives: `--flag top`, and `--flag-pieces` when it has pieces.
  const auto cost = [&](const std::string& flag, double top, const std::vector<CostPiece>& pieces) {
    argv.insert(argv.end(), {flag, exactNumber(top)});
    if (!pieces.empty()) argv.insert(argv.end(), {flag + "-pieces", pieceList(pieces)});
  };
  if (a.gammaFromTopology && topo.gammaSumSPerByte >= 0) cost("--gamma-sum", topo.gammaSumSPerByte, topo.gammaSumPieces);
  if (topo.scaleSPerByte >= 0) cost("--scale", topo.scaleSPerByte, topo.scalePieces);
  if (a.gammaFromTopology && topo.sgdSPerByte >= 0) cost("--sgd", topo.sgdSPerByte, topo.sgdPieces);
  if (PassCost{topo.writeAfterSendSPerByte, topo.writeAfterSendPieces}.any())
    cost("--write-after-send", topo.writeAfterSendSPerByte, topo.writeAfterSendPieces);
  if (sharesHostMemory(topo))
    argv.insert(argv.end(), {"--memory-host-ranks", std::to_string(topo.devicesPerHost)});
  const MessageCost work = topo.receiveWork();
  const PassCost sendWritten{topo.sendWrittenSPerByte, topo.sendWrittenPieces};
  const PassCost sendUnwritten{topo.sendUnwrittenSPerByte, topo.sendUnwrittenPieces};
  if (work.any() || sendWritten.any() || sendUnwritten.any())
    argv.insert(argv.end(), {"--host-ranks", std::to_string(topo.devicesPerHost)});
  if (work.any()) cost("--receive-work", work.top, work.pieces);
  if (sendWritten.any()) cost("--send-written", sendWritten.top, sendWritten.pieces);
  if (sendUnwritten.any()) cost("--send-unwritten", sendUnwritten.top, sendUnwritten.pieces);
  if (a.trace.on())
    argv.insert(argv.end(), {"--trace", traceFileOf(dir, tag).string(), "--trace-limit",
                             std::to_string(parseTraceLimit(a.trace.limit))});
  if (!a.trace.delayRank.empty()) argv.insert(argv.end(), {"--delay-rank", a.trace.delayRank});
  argv.insert(argv.end(), extra.begin(), extra.end());

  ChildOptions child;
  child.timeoutS = parseTimeout(a.timeout);
  if (const std::string malloc = simulatorMalloc(); !malloc.empty()) {
    const char* preload = std::getenv("LD_PRELOAD");
    child.setVariables.push_back(
        {"LD_PRELOAD", malloc + (preload && *preload ? ":" + std::string(preload) : "")});
  }
  const ChildRun run = runLogged(argv, log.string(), child);
  if (run.timedOut)
    throw Error("simulate: smpirun for " + tag + " did not finish within --timeout " + a.timeout +
                " s and was ended (allowed: a larger --timeout, or 0 = no limit)");
  if (!fs::exists(result) || (run.status != kExitOk && run.status != kExitCheckFailed))
    throw Error("simulate: smpirun exited with status " + std::to_string(run.status) + " for " +
                tag + "; its last lines (" + log.string() + "):\n" +
                lastLines(readFile(log), 8));
  return run;
}

// One simulated run, as a value: what commsim-smpi counted and timed, beside the model.
struct SimulatedRow {
  std::string topology;
  StepRow step;
  bool valuesChecked = false;
  int workers = 0;
  std::uint64_t params = 0;
  DType dtype = DType::Float32;
  Prediction model;
  long long ranks = 0;
  std::string network;
  std::string traceFile;  // in the scratch directory, with --trace
  double wallS = 0;
  std::uint64_t peakRssBytes = 0;

  double modelDifference() const { return model.timeS > 0 ? step.timeS / model.timeS - 1 : 0.0; }
};

Json toJson(const SimulatedRow& r) {
  const CountsRow& c = r.step.counts;
  Json row;
  row["topology"] = r.topology;
  row["paradigm"] = c.paradigm;
  row["variant"] = c.variant;
  row["workers"] = r.workers;
  row["params"] = r.params;
  row["dtype"] = dtypeName(r.dtype);
  row["size_bytes"] = r.params * elementBytes(r.dtype);
  addTimeJson(row, r.step);
  addSummaryJson(row, c, r.valuesChecked);
  row["model_time_s"] = r.model.timeS;
  row["model_difference"] = r.modelDifference();
  row["latency_s"] = r.model.latencyS;
  row["bandwidth_Bps"] = r.model.bandwidthBps;
  row["bottleneck"] = r.model.bottleneck;
  row["ranks"] = r.ranks;
  row["network"] = r.network;
  row["wall_s"] = r.wallS;
  row["peak_rss_bytes"] = r.peakRssBytes;
  return row;
}

}  // namespace

std::vector<SimulatedTime> simulatedTimes(const Json& doc) {
  std::vector<SimulatedTime> times;
  for (const Json& row : doc.at("rows"))
    times.push_back({row.at("paradigm").get<std::string>(), row.at("params").get<std::uint64_t>(),
                     row.at("time_s").get<double>()});
  return times;
}

namespace {

SimulatedRow simulateOne(const SimulateArgs& a, const Topology& topo, const fs::path& dir,
                         const fs::path& platform, const Paradigm& algorithm, int n,
                         std::uint64_t p, DType dtype, const PredictOptions& options) {
  const Layout layout = modelLayout(topo, algorithm, n);
  const std::string name(algorithm.name());
  const std::string tag = name + "-n" + std::to_string(n) + "-p" + std::to_string(p);
  const fs::path result = dir / (tag + ".json");
  const ChildRun run = runSimulator(a, topo, dir, platform, layout, name, tag, result,
                                    {"--params", std::to_string(p)}, dtype, p * elementBytes(dtype));
  const SimulatorStep sim = simulatorStepFromJson(Json::parse(readFile(result)));

  SimulatedRow row;
  row.topology = topo.name;
  row.step = sim.row;
  row.valuesChecked = sim.valuesChecked;
  row.workers = n;
  row.params = p;
  row.dtype = dtype;
  row.model = predict(topo, algorithm, n, p, elementBytes(dtype), options);
  row.ranks = layout.worldSize;
  row.network = a.network;
  if (a.trace.on()) row.traceFile = traceFileOf(dir, tag).string();
  row.wallS = run.wallS;
  row.peakRssBytes = static_cast<std::uint64_t>(run.peakRssKiB) * 1024;
  return row;
}

// The runs' traces on one timeline, one after another: each run's times shifted past the previous
// run's end, its step numbered by its row, its message ids kept apart from the other runs'.
std::string mergeTraces(const std::vector<SimulatedRow>& rows, TraceSummary& summary,
                        std::size_t limit) {
  constexpr double kGapUs = 10;
  Json events = Json::array();
  std::vector<bool> named;
  double shift = 0;
  std::uint64_t idBase = 0;
  for (std::size_t step = 0; step < rows.size(); ++step) {
    const Json run = Json::parse(readFile(rows[step].traceFile));
    double end = 0;
    std::uint64_t ids = 0;
    for (Json e : run["traceEvents"]) {
      const std::string ph = e["ph"];
      if (ph == "M") {
        const auto pid = e["pid"].get<std::size_t>();
        if (pid >= named.size()) named.resize(pid + 1, false);
        if (e["name"] == "process_name") {
          if (named[pid]) continue;
          named[pid] = true;
        } else if (e["name"] == "process_sort_index" && named[pid] && step > 0) {
          continue;
        }
        events.push_back(e);
        continue;
      }
      const double ts = e["ts"].get<double>();
      end = std::max(end, ts + e.value("dur", 0.0));
      e["ts"] = ts + shift;
      if (ph == "X") e["args"]["step"] = step;
      if (e.contains("id")) {
        ids = std::max(ids, e["id"].get<std::uint64_t>() + 1);
        e["id"] = e["id"].get<std::uint64_t>() + idBase;
      }
      events.push_back(e);
    }
    const Json& other = run["otherData"];
    summary.events += other["events"].get<std::uint64_t>();
    summary.dropped += other["dropped_events"].get<std::uint64_t>();
    shift += end + kGapUs;
    idBase += ids;
  }
  Json doc;
  doc["traceEvents"] = events;
  doc["displayTimeUnit"] = "ns";
  doc["otherData"] = {{"generator", "commsim"},
                      {"clock", "one clock for every rank (SimGrid's simulated clock); runs placed "
                                "one after another"},
                      {"clock_error_us", 0.0},
                      {"event_limit_per_rank", limit},
                      {"events", summary.events},
                      {"dropped_events", summary.dropped},
                      {"truncated", summary.truncated()}};
  return doc.dump() + "\n";
}

std::string text(const Topology& topo, const SimulateArgs& a, const std::vector<SimulatedRow>& rows) {
  std::ostringstream os;
  os << "# commsim simulate: the paradigm code under SimGrid SMPI, simulated time; model = "
        "commsim predict (docs/simulate.md)\n";
  os << "# topology " << topo.name << " (" << topo.source << "), network " << a.network
     << ", gamma " << a.gamma << " s/byte; GB/s = 10^9 bytes/s\n#\n";
  TextTable table({{"workers"}, {"params"}, {"paradigm", true}, {"sim time(us)"}, {"model(us)"},
                   {"diff"}, {"algbw(GB/s)"}, {"busbw(GB/s)"}, {"messages"}, {"total bytes"},
                   {"check", true}, {"wall(s)"}});
  bool unchecked = false;
  for (const SimulatedRow& r : rows) {
    const CountsRow& c = r.step.counts;
    const std::string label = c.paradigm + (c.variant.empty() ? "" : " (" + c.variant + ")");
    unchecked = unchecked || !r.valuesChecked;
    table.add({std::to_string(r.workers), std::to_string(r.params), label,
               fixed(r.step.timeS * 1e6, 2), fixed(r.model.timeS * 1e6, 2),
               fixed(r.modelDifference() * 100, 1) + "%",
               fixed(r.step.bandwidth.algbwGBps, 3), fixed(r.step.bandwidth.busbwGBps, 3),
               std::to_string(c.counters.messagesSent) + " = " + c.expected.messagesFormula,
               std::to_string(c.counters.bytesSent), c.ok() ? "\u2713" : "\u2717 MISMATCH",
               fixed(r.wallS, 2)});
  }
  os << table.render() << "#\n";
  os << "# check: messages and bytes counted by the transport equal the closed forms"
     << (unchecked ? "; values not checked (shared simulated buffers; --check-values checks them "
                     "on small runs)\n"
                   : " and every rank holds the exact result\n");
  return os.str();
}

// How simulate's documents start. With --workload the workload's document gives the element type,
// the topology is named alone, and the one run's wall time is said here.
struct SimulateHeader {
  std::string network;
  const Topology* topology = nullptr;
  std::optional<DType> dtype;  // absent with --workload
  double gammaSPerByte = 0;
  std::optional<double> wallS;  // --workload's run
};

Json toJson(const SimulateHeader& h) {
  const Topology& t = *h.topology;
  Json doc;
  doc["command"] = "simulate";
  doc["simulator"] = "SimGrid SMPI";
  doc["network"] = h.network;
  doc["topology"] = Json{{"name", t.name}, {"file", t.source}};
  if (h.dtype) {
    doc["topology"].update(Json{{"hosts", t.hosts},
                                {"devices_per_host", t.devicesPerHost},
                                {"slots", t.slots()},
                                {"fabric", fabricName(t.fabric.kind)}});
    addJson(doc, *h.dtype);
  }
  doc["gamma_s_per_byte"] = h.gammaSPerByte;
  if (h.wallS) doc["wall_s"] = *h.wallS;
  return doc;
}

// The directory the runs write to (a temporary one unless --keep), with the platform in it.
fs::path makeScratch(const SimulateArgs& a, Scratch& scratch, const std::string& platformXml) {
  if (a.keep.empty()) {
    std::string templ = (fs::temp_directory_path() / "commsim-simulate-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw Error("simulate: cannot create a scratch directory");
    scratch.dir = templ;
    scratch.remove = true;
  } else {
    std::error_code ec;
    fs::create_directories(a.keep, ec);
    if (ec || !fs::is_directory(a.keep))
      throw UsageError("--keep: cannot create directory '" + a.keep + "'");
    scratch.dir = fs::absolute(a.keep);
  }
  const fs::path platform = scratch.dir / "platform.xml";
  writeFile(platform, platformXml);
  return platform;
}

// `simulate --workload`: one training step of `commsim train` under SMPI, compute as simulated
// time, one n and one algorithm (docs/train.md).
int runSimulateWorkload(const SimulateArgs& a, const Topology& topo, Format format) {
  const Workload w = loadWorkload(a.workload.workload);
  refuseParams(a.params, w);
  if (!hostSupports(w.dtype))
    throw UsageError(w.source + ": dtype " + std::string(dtypeName(w.dtype)) +
                     " is not supported by the simulator (allowed: float32, float64)");
  if (a.workers.size() != 1)
    throw UsageError("workers: " + std::to_string(a.workers.size()) +
                     " values given; with --workload name exactly one n");
  const std::uint64_t nv = parseSize(a.workers.front(), "--workers");
  if (nv < 2 || nv > static_cast<std::uint64_t>(kMaxWorkers))
    throw UsageError("--workers: '" + a.workers.front() + "' is out of range (allowed: 2 to " +
                     std::to_string(kMaxWorkers) + ")");
  const int n = static_cast<int>(nv);
  const auto algorithms = modelAlgorithms(a);
  if (algorithms.size() != 1)
    throw UsageError("algorithm: " + std::to_string(algorithms.size()) +
                     " given; with --workload name exactly one");
  const Paradigm& algorithm = *algorithms.front();
  if (a.checkValues)
    throw UsageError("--check-values: not allowed with --workload (a model's buffers in every "
                     "simulated rank; commsim train checks values)");
  const std::uint64_t cap = a.workload.capBytes();
  const double rate = a.workload.rate(topo.computeRate());
  const ComputeTimeline compute = topologyCompute(a.workload, w, topo);
  const std::vector<Bucket> buckets = formBuckets(w, cap);
  networkConfig(a.network, topo);
  parseTimeout(a.timeout);
  predict(topo, algorithm, n, buckets.front().elements, elementBytes(w.dtype), modelOptions(a, topo));
  const Layout layout = modelLayout(topo, algorithm, n);
  const std::string platformXml = simgridPlatform(topo);
  simulatorPath();
  if (!a.jsonFile.empty()) ensureWritable(a.jsonFile, "--json");
  if (!a.csvFile.empty()) ensureWritable(a.csvFile, "--csv");

  Scratch scratch;
  const fs::path platform = makeScratch(a, scratch, platformXml);
  const std::string name(algorithm.name());
  const std::string tag = name + "-n" + std::to_string(n) + "-" + w.name;
  const fs::path plan = scratch.dir / (tag + ".plan");
  std::ostringstream os;
  os.precision(17);
  os << compute.forwardS << ' ' << compute.computeS << '\n';
  const std::vector<double> ready = compute.bucketReadyS(buckets);
  for (std::size_t i = 0; i < buckets.size(); ++i) os << buckets[i].elements << ' ' << ready[i] << '\n';
  writeFile(plan, os.str());
  const fs::path result = scratch.dir / (tag + ".json");
  // SMPI's factors hold for the whole run: every bucket gets the largest's pieces, which predict
  // gives each bucket as large (most of them, under a cap).
  std::uint64_t largest = 0;
  for (const Bucket& b : buckets) largest = std::max(largest, b.elements);
  const ChildRun run = runSimulator(a, topo, scratch.dir, platform, layout, name, tag, result,
                                    {"--train-plan", plan.string()}, w.dtype,
                                    largest * elementBytes(w.dtype));
  const SimulatorTraining sim = simulatorTrainingFromJson(Json::parse(readFile(result)));

  TrainReport rep;
  rep.workload = &w;
  rep.algorithm = name;
  rep.variant = sim.variant;
  rep.workers = n;
  rep.bucketBytes = cap;
  rep.computeRate = w.needsRate() ? rate : 0;
  rep.computeScale = a.workload.computeScale;
  rep.forwardS = compute.forwardS;
  std::vector<BucketSpan> spans;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const SimulatorBucket& b = sim.buckets.at(i);
    TrainBucketRow row = countedBucketRow(buckets[i], w.dtype, b.counts.counters,
                                          b.counts.expected, 1);
    row.span = b.span;
    row.ok = b.counts.countsOk;
    spans.push_back(row.span);
    rep.rows.push_back(row);
  }
  rep.step = stepTimes(compute.computeS, spans);
  rep.ok = sim.ok;

  const SimulateHeader header{a.network, &topo, std::nullopt, a.gamma, run.wallS};
  const std::string lines = "#   topology " + topo.name + " (" + topo.source + "), network " +
                            a.network + "; simulated in " + fixed(run.wallS, 1) +
                            " s; counts checked, values not (shared simulated buffers)\n";
  const Json doc = trainDocument(rep, toJson(header));
  const std::string json = doc.dump(2) + "\n";
  const std::vector<Json> rows = trainCsvRows(rep);
  if (!a.jsonFile.empty()) writeFileAtomically(a.jsonFile, json);
  if (!a.csvFile.empty()) writeFileAtomically(a.csvFile, toCsv(rows));
  switch (format) {
    case Format::kJson: std::fputs(json.c_str(), stdout); break;
    case Format::kCsv: std::fputs(toCsv(rows).c_str(), stdout); break;
    case Format::kText:
      std::fputs(trainText(rep, "commsim simulate --workload: a training step under SimGrid SMPI, "
                                "compute as simulated time (docs/train.md)", lines).c_str(),
                 stdout);
      break;
  }
  std::fflush(stdout);
  return rep.ok ? kExitOk : kExitCheckFailed;
}

int runSimulate(const SimulateArgs& given) {
  const Format format = parseFormat(given.format);
  const Topology topo = loadTopology(given.topology);
  SimulateArgs a = given;
  resolveGamma(a, topo);
  if (!a.workload.workload.empty()) return runSimulateWorkload(a, topo, format);
  if (a.params.empty())
    throw UsageError("--params is required (gradient elements p), unless --workload FILE gives them");
  const DType dtype = parseDType(a.dtype);
  if (!hostSupports(dtype))
    throw UsageError("dtype: " + a.dtype + " is not supported by the simulator (allowed: float32, float64)");
  std::vector<int> workers;
  for (const auto& w : a.workers) {
    const std::uint64_t v = parseSize(w, "--workers");
    if (v < 2 || v > static_cast<std::uint64_t>(kMaxWorkers))
      throw UsageError("--workers: '" + w + "' is out of range (allowed: 2 to " +
                       std::to_string(kMaxWorkers) + ")");
    workers.push_back(static_cast<int>(v));
  }
  std::vector<std::uint64_t> params;
  for (const auto& t : a.params) params.push_back(parseSize(t, "--params"));
  const auto algorithms = modelAlgorithms(a);
  networkConfig(a.network, topo);
  parseTimeout(a.timeout);
  const std::size_t traceLimit = a.trace.validate();
  const PredictOptions options = modelOptions(a, topo);
  // Every combination is checked (fit, options, memory) before the first simulation starts.
  for (int n : workers)
    for (std::uint64_t p : params)
      for (const auto& k : algorithms) {
        predict(topo, *k, n, p, elementBytes(dtype), options);
        const auto ranks = static_cast<std::uint64_t>(modelLayout(topo, *k, n).worldSize);
        ensureDelayedRankExists(a.trace.delay(), static_cast<int>(ranks));
        if (a.checkValues && (p > kMaxCheckedBytes / 3 / elementBytes(dtype) / ranks))
          throw UsageError("--check-values: " + std::to_string(ranks) + " ranks of p = " +
                           std::to_string(p) + " need more than " +
                           std::to_string(kMaxCheckedBytes >> 30) +
                           " GiB of real buffers (allowed: drop --check-values, or fewer/smaller)");
      }
  const std::string platformXml = simgridPlatform(topo);
  const fs::path simulator = simulatorPath();
  if (!a.jsonFile.empty()) ensureWritable(a.jsonFile, "--json");
  if (!a.csvFile.empty()) ensureWritable(a.csvFile, "--csv");

  Scratch scratch;
  const fs::path platform = makeScratch(a, scratch, platformXml);

  std::vector<SimulatedRow> runs;
  bool ok = true;
  for (int n : workers)
    for (std::uint64_t p : params)
      for (const auto& k : algorithms) {
        runs.push_back(simulateOne(a, topo, scratch.dir, platform, *k, n, p, dtype, options));
        ok = ok && runs.back().step.counts.ok();
        if (isatty(2))
          std::fprintf(stderr, "simulated %s n=%d p=%llu in %.1f s\n",
                       std::string(k->name()).c_str(), n,
                       static_cast<unsigned long long>(p), runs.back().wallS);
      }

  Json doc = toJson(SimulateHeader{a.network, &topo, dtype, a.gamma, std::nullopt});
  if (a.trace.on()) {
    TraceSummary summary;
    writeFileAtomically(a.trace.file, mergeTraces(runs, summary, traceLimit));
    if (summary.truncated())
      std::fprintf(stderr, "commsim: %s\n", truncationNote(summary, traceLimit).c_str());
  }
  std::vector<Json> rows;  // without the runs' trace files: scratch, removed with it
  for (const SimulatedRow& r : runs) rows.push_back(toJson(r));
  doc["rows"] = rows;
  doc["ok"] = ok;
  const std::string json = doc.dump(2) + "\n";
  if (!a.jsonFile.empty()) writeFileAtomically(a.jsonFile, json);
  if (!a.csvFile.empty()) writeFileAtomically(a.csvFile, toCsv(rows));
  switch (format) {
    case Format::kJson: std::fputs(json.c_str(), stdout); break;
    case Format::kCsv: std::fputs(toCsv(rows).c_str(), stdout); break;
    case Format::kText: std::fputs(text(topo, a, runs).c_str(), stdout); break;
  }
  std::fflush(stdout);
  return ok ? kExitOk : kExitCheckFailed;
}

int runPlatform(const std::string& topology, const std::string& output, long long ranks) {
  const Topology topo = loadTopology(topology);
  if (ranks < 0 || ranks > topo.slots())
    throw UsageError("--hostfile-ranks: " + std::to_string(ranks) + " is out of range (allowed: 1 to " +
                     std::to_string(topo.slots()) + ", the topology's slots)");
  const std::string xml = simgridPlatform(topo);
  if (output.empty()) {
    std::fputs(xml.c_str(), stdout);
  } else {
    ensureWritable(output, "--output");
    writeFileAtomically(output, xml);
    if (ranks > 0) writeFileAtomically(output + ".hosts", simgridHostfile(ranks));
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
}

}  // namespace

bool simulatorAvailable() { return fs::exists(simulatorCandidate()); }

void addSimulateCommands(CLI::App& root, std::vector<Command>& commands) {
  auto a = std::make_shared<SimulateArgs>();
  CLI::App* app = root.add_subcommand(
      "simulate", "Run the step under SimGrid SMPI on a topology's platform (simulated time)");
  addModelOptions(app, *a,
                  {"topologies/fat-tree-1024.yaml", "4,64,1024", "float32 or float64",
                   "Reduction cost injected into the simulated clock, seconds per byte reduced",
                   /*paramsRequired=*/false});
  addWorkloadOptions(app, a->workload, /*workloadRequired=*/false);
  app->add_option("--network", a->network,
                  "ideal (links exactly as the platform states, as the closed forms assume) or "
                  "smpi (SimGrid's calibrated SMPI factors)")
      ->capture_default_str();
  app->add_flag("--check-values", a->checkValues,
                "Real buffers in every simulated rank, result checked exactly (small runs)");
  app->add_option("--keep", a->keep, "Keep the platform, hostfiles, logs and raw results here");
  app->add_option("--timeout", a->timeout,
                  "Seconds one smpirun (one n, p, paradigm) may take before it is ended and the "
                  "command exits with status 2; 0 = no limit")
      ->capture_default_str();
  a->trace.add(app, /*withAll=*/false);
  commands.push_back({app, [a](ProcessArgs) { return runSimulate(*a); }});

  auto topology = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto ranks = std::make_shared<long long>(0);
  CLI::App* plat = root.add_subcommand(
      "platform", "Write a topology as a SimGrid platform (XML) for smpirun");
  plat->add_option("--topology", *topology, "Topology file")->required();
  plat->add_option("-o,--output", *output, "Write the platform here (default: stdout)");
  plat->add_option("--hostfile-ranks", *ranks,
                   "With --output: also write OUTPUT.hosts placing this many ranks on slots 0..");
  commands.push_back(
      {plat, [topology, output, ranks](ProcessArgs) { return runPlatform(*topology, *output, *ranks); }});
}

}  // namespace commsim::cli
