// commsim-smpi: one synchronisation step of one paradigm, as a SimGrid SMPI program. The paradigm,
// the MPI transport, the counting and the harness are the same sources as in `commsim`, compiled
// against SMPI's mpi.h; SMPI runs every rank as a simulated process on a host of the platform, and
// MPI_Wtime (Transport::now) is the simulated clock. `commsim simulate` writes the platform and
// starts this through smpirun; docs/simulate.md explains the options.
//
// Buffers are SimGrid shared allocations unless --check-values asks for real ones (small runs):
// then the inputs are written and the result is checked exactly, as `commsim table` does.
#include <CLI/CLI.hpp>
#include <simgrid/host.h>
#include <smpi/smpi.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/platform.hpp"
#include "commsim/step_report.hpp"
#include "commsim/trace.hpp"
#include "commsim/train.hpp"
#include "core/files.hpp"
#include "core/size_parse.hpp"
#include "harness/step_json.hpp"
#include "simulated_memory.hpp"
#include "transport/mpi/mpi_transport.hpp"

namespace {

struct Options {
  std::string paradigm;
  std::string params = "1M";
  std::string dtype = "float32";
  commsim::AlgorithmOptions algorithm;
  int workersPerHost = 0;
  double gamma = 0;
  double copy = 0;
  std::string gammaPieces;  // "up_to:seconds_per_byte;..." (Topology::gammaPieces)
  std::string copyPieces;
  double gammaSum = -1;  // a reduction into a third buffer; negative: as gamma
  std::string gammaSumPieces;
  double scale = -1;  // scaling in place after a reduction; negative: as a copy
  std::string scalePieces;
  double sgd = -1;  // the SGD step after a reduction; negative: as gamma
  std::string sgdPieces;
  int memoryHostRanks = 0;  // ranks r share memory host memory-(r / this); 0: none
  double writeAfterSend = 0;  // Topology::writeAfterSend
  std::string writeAfterSendPieces;
  double receiveWork = 0;  // Topology::receiveWork
  std::string receiveWorkPieces;
  int hostRanks = 0;  // ranks r and q share a machine when r / this == q / this
  double sendWritten = 0;  // Topology::sendWritten, sendUnwritten
  std::string sendWrittenPieces;
  double sendUnwritten = 0;
  std::string sendUnwrittenPieces;
  bool checkValues = false;
  std::string jsonFile;
  std::string trainPlan;
  std::string traceFile;
  std::size_t traceLimit = commsim::Tracer::kDefaultLimit;
  std::string delayRank;
};

// "65536:2e-11;1048576:5e-11" (what `commsim simulate` passes) -> pieces: seconds per byte, or
// for --receive-work-pieces seconds per message.
std::vector<commsim::CostPiece> parsePieces(const std::string& text, const char* option) {
  std::vector<commsim::CostPiece> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ';');) {
    commsim::CostPiece p;
    char colon = 0;
    std::istringstream one(item);
    if (!(one >> p.upToBytes >> colon >> p.sPerByte) || colon != ':' || !(p.sPerByte >= 0))
      throw commsim::UsageError(std::string(option) + ": '" + item + "' is not up_to:seconds");
    out.push_back(p);
  }
  return out;
}

void writeResult(const nlohmann::ordered_json& doc, const std::string& jsonFile) {
  const std::string text = doc.dump(2) + "\n";
  if (jsonFile.empty()) {
    std::cout << text << std::flush;
  } else {
    std::ofstream out(jsonFile, std::ios::trunc);
    out << text;
    if (!out.flush()) throw commsim::Error("cannot write '" + jsonFile + "'");
  }
}

// A training step's plan, as `commsim simulate --workload` writes it: the first line the forward
// and the whole compute time in seconds, then one line per bucket, its elements and the time it
// is full. The simulator needs no workload file (nor yaml-cpp): the buckets are formed once, by
// the command, with the rule every command uses.
struct TrainPlan {
  std::vector<commsim::Bucket> buckets;
  commsim::ComputeTimeline compute;
  std::uint64_t params = 0;
};

TrainPlan readPlan(const std::string& path) {
  std::ifstream in(path);
  TrainPlan plan;
  if (!(in >> plan.compute.forwardS >> plan.compute.computeS))
    throw commsim::Error("train plan '" + path + "' cannot be read");
  std::uint64_t elements = 0;
  double ready = 0;
  while (in >> elements >> ready) {
    plan.buckets.push_back({plan.buckets.size(), 1, plan.params, elements});
    plan.compute.tensorReadyS.push_back(ready);
    plan.params += elements;
  }
  if (plan.buckets.empty()) throw commsim::Error("train plan '" + path + "' has no buckets");
  return plan;
}

// Compute takes simulated time: this host's speed for that long (smpi_execute would use the
// smpi/host-speed benchmark figure instead).
void simulatedCompute(double seconds) {
  if (seconds > 0) smpi_execute_flops(seconds * sg_host_get_speed(sg_host_self()));
}

// One simulated training step: the same code as `commsim train`, compute as simulated time.
int simulateTraining(const Options& o, commsim::Transport& t, const commsim::Paradigm& paradigm,
                     const commsim::Layout& layout, commsim::DType dtype,
                     commsim::MemorySpace& memory) {
  using namespace commsim;
  const TrainPlan plan = readPlan(o.trainPlan);
  // Simulated time is deterministic: one step, no warm-up.
  const TrainResult r = runTrainingSteps(paradigm, t, memory, layout, dtype, plan.params,
                                         plan.buckets, plan.compute, 1, simulatedCompute,
                                         o.checkValues ? ValueCheck::Exact : ValueCheck::Skip, 0);
  if (t.rank() != 0) return r.ok() ? kExitOk : kExitCheckFailed;
  SimulatorTraining doc{layout.workers, paradigm.variant(layout), r.valuesChecked, {}, r.ok()};
  for (const TrainBucketResult& b : r.buckets)
    doc.buckets.push_back(
        {countsRow(paradigm, layout, b.counters, b.expected, b.countsMatch(1), b.wrong), b.span});
  writeResult(toJson(doc), o.jsonFile);
  return r.ok() ? kExitOk : kExitCheckFailed;
}

// The host this rank's memory passes run on (platform.hpp), null for its own.
sg_host_t memoryHost(int ranksPerMachine, int rank) {
  if (ranksPerMachine <= 0) return nullptr;
  const std::string name = commsim::memoryHostName(rank / ranksPerMachine);
  const sg_host_t host = sg_host_by_name(name.c_str());
  if (!host) throw commsim::Error("the platform has no host " + name + " for rank " + std::to_string(rank) + "'s memory");
  return host;
}

// The simulated host this rank runs on, as SMPI names it.
std::string processorName() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  COMMSIM_MPI_CHECK(MPI_Get_processor_name(name, &length));
  return commsim::printable(std::string(name, static_cast<std::size_t>(length)));
}

int simulate(const Options& o, commsim::Transport& t) {
  using namespace commsim;
  const std::uint64_t count = parseSize(o.params, "params");
  const DType dtype = parseDType(o.dtype);
  if (!hostSupports(dtype))
    throw UsageError("dtype: " + o.dtype + " is not supported (allowed: float32, float64)");
  if (!(o.gamma >= 0) || !std::isfinite(o.gamma))
    throw UsageError("gamma: " + std::to_string(o.gamma) +
                     " is not allowed (seconds per byte, finite, at least 0)");
  const auto paradigm = makeAlgorithm(o.paradigm, o.algorithm);
  Layout layout = layoutFor(t.size(), {paradigm.get()});
  // Every simulated rank runs on this one machine: the placement is the one `simulate` modelled.
  layout.workersPerHost = o.workersPerHost;
  paradigm->validate(layout);
  const StepDelay delay = o.delayRank.empty() ? StepDelay{} : parseStepDelay(o.delayRank);
  ensureDelayedRankExists(delay, t.size());

  if (!(o.copy >= 0) || !std::isfinite(o.copy))
    throw UsageError("copy: " + std::to_string(o.copy) + " is not allowed (simulated seconds per byte, at least 0)");
  MemoryCosts costs;
  costs.reduce = {o.gamma, parsePieces(o.gammaPieces, "gamma-pieces")};
  costs.local = {o.copy, parsePieces(o.copyPieces, "copy-pieces")};
  costs.sum = passCostOr(o.gammaSum, parsePieces(o.gammaSumPieces, "gamma-sum-pieces"), costs.reduce);
  costs.scale = passCostOr(o.scale, parsePieces(o.scalePieces, "scale-pieces"), costs.local);
  costs.sgd = passCostOr(o.sgd, parsePieces(o.sgdPieces, "sgd-pieces"), costs.reduce);
  costs.writeAfterSend = {o.writeAfterSend, parsePieces(o.writeAfterSendPieces, "write-after-send-pieces")};
  costs.receiveWork = {o.receiveWork, parsePieces(o.receiveWorkPieces, "receive-work-pieces")};
  costs.sendWritten = {o.sendWritten, parsePieces(o.sendWrittenPieces, "send-written-pieces")};
  costs.sendUnwritten = {o.sendUnwritten, parsePieces(o.sendUnwrittenPieces, "send-unwritten-pieces")};
  costs.ranksPerHost = o.hostRanks;
  sim::SimulatedMemory shared(costs, memoryHost(o.memoryHostRanks, t.rank()), t.rank());
  if (!o.checkValues) t.setBufferWatch(&shared);
  MemorySpace& memory = o.checkValues ? hostMemory() : static_cast<MemorySpace&>(shared);
  // Writes to what peers have read, and sends of what was written, are priced as in a step after
  // a step (as the cost model records it, and as a benchmark's timed steps run): one untimed step
  // first.
  std::optional<StepBuffers> buffers;
  if (o.trainPlan.empty()) buffers.emplace(memory, count, dtype);
  if ((costs.writeAfterSend.any() || costs.statefulSends()) && !o.checkValues && o.trainPlan.empty())
    runCheckedStep(*paradigm, t, memory, layout, *buffers, count, dtype, kDefaultLearningRate,
                   ValueCheck::Skip, delay);
  std::unique_ptr<Tracer> tracer;
  if (!o.traceFile.empty()) {
    tracer = std::make_unique<Tracer>(t.rank(), t.size(), o.traceLimit);
    estimateClockOffsets(t, *tracer);  // nothing to do: every simulated rank reads one clock
    t.setTracer(tracer.get());
  }
  if (!o.trainPlan.empty()) return simulateTraining(o, t, *paradigm, layout, dtype, memory);
  const StepResult r = runCheckedStep(*paradigm, t, memory, layout, *buffers, count, dtype,
                                      kDefaultLearningRate,
                                      o.checkValues ? ValueCheck::Exact : ValueCheck::Skip, delay);
  if (tracer) {
    t.setTracer(nullptr);
    const std::string trace = gatherTrace(t, *tracer, processorName());
    if (t.rank() == 0) writeFileAtomically(o.traceFile, trace);
  }
  if (t.rank() == 0) {
    const SimulatorStep doc{t.size(),
                            layout.workers,
                            layout.servers,
                            count,
                            dtype,
                            o.gamma,
                            std::string(memory.name()),
                            stepRow(*paradigm, r, layout, count, elementBytes(dtype)),
                            r.valuesChecked};
    writeResult(toJson(doc), o.jsonFile);
  }
  return r.ok() ? kExitOk : kExitCheckFailed;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace commsim;
  Options o;
  CLI::App app{"commsim-smpi: one gradient synchronisation step under SimGrid SMPI (run it through "
               "`commsim simulate` or smpirun)"};
  app.add_option("--paradigm", o.paradigm, "An algorithm of `commsim list`")->required();
  app.add_option("-p,--params", o.params, "Gradient elements p: an integer or K/M/G")->capture_default_str();
  app.add_option("-d,--dtype", o.dtype, "float32 or float64")->capture_default_str();
  app.add_option("--servers", o.algorithm.servers, "parameter-server: k sharded dedicated server ranks")
      ->check(CLI::PositiveNumber);
  app.add_option("--delay-rank", o.delayRank, "R:SECONDS: rank R starts every step late (simulated)");
  app.add_flag("--colocated", o.algorithm.colocated, "parameter-server: on worker 0");
  app.add_option("--segments", o.algorithm.segments, "binary-tree: K segments")->check(CLI::PositiveNumber);
  app.add_option("--ranks-per-host", o.algorithm.ranksPerHost, "hierarchical-ring: G (0: as placed)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--workers-per-host", o.workersPerHost, "The placement modelled (0: uneven)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--gamma", o.gamma, "Reduction cost injected, simulated seconds per byte reduced")->capture_default_str();
  app.add_option("--copy", o.copy, "Cost of a local copy injected, simulated seconds per byte")->capture_default_str();
  app.add_option("--gamma-pieces", o.gammaPieces, "Smaller reductions' costs: up_to:seconds_per_byte;...");
  app.add_option("--copy-pieces", o.copyPieces, "Smaller copies' costs: up_to:seconds_per_byte;...");
  app.add_option("--gamma-sum", o.gammaSum, "Cost of a reduction into a third buffer (negative: --gamma's)");
  app.add_option("--gamma-sum-pieces", o.gammaSumPieces, "Smaller such reductions' costs: up_to:seconds_per_byte;...");
  app.add_option("--scale", o.scale, "Cost of scaling in place after a reduction (negative: --copy's)");
  app.add_option("--scale-pieces", o.scalePieces, "Smaller scalings' costs: up_to:seconds_per_byte;...");
  app.add_option("--sgd", o.sgd, "Cost of the SGD step after a reduction (negative: --gamma's)");
  app.add_option("--sgd-pieces", o.sgdPieces, "Smaller SGD steps' costs: up_to:seconds_per_byte;...");
  app.add_option("--write-after-send", o.writeAfterSend,
                 "Added per byte a pass writes that a peer has read since, simulated seconds")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--write-after-send-pieces", o.writeAfterSendPieces,
                 "Smaller passes' surcharges: up_to:seconds_per_byte;...");
  app.add_option("--receive-work", o.receiveWork,
                 "Simulated seconds a rank works after each receive from its own machine "
                 "(intra_host.latency_shares_host)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--receive-work-pieces", o.receiveWorkPieces,
                 "Smaller messages' receive work: up_to:seconds;...");
  app.add_option("--send-written", o.sendWritten,
                 "Added per byte of a message to a rank of this machine that the sender has written "
                 "since it last sent it, simulated seconds")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--send-written-pieces", o.sendWrittenPieces, "Smaller messages' figures: up_to:seconds_per_byte;...");
  app.add_option("--send-unwritten", o.sendUnwritten,
                 "Added per byte of such a message that the sender has not written since")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--send-unwritten-pieces", o.sendUnwrittenPieces,
                 "Smaller messages' figures: up_to:seconds_per_byte;...");
  app.add_option("--host-ranks", o.hostRanks, "Ranks r and q share a machine when r/D == q/D (0: none do)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory-host-ranks", o.memoryHostRanks,
                 "Ranks r of a machine share host memory-(r/D) for their memory passes (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--check-values", o.checkValues,
               "Real buffers, inputs written and the result checked exactly (small runs only)");
  app.add_option("--json", o.jsonFile, "Write the result document here instead of stdout");
  app.add_option("--train-plan", o.trainPlan,
                 "A training step's buckets and compute times (commsim simulate --workload): run "
                 "the step instead of one synchronisation of --params");
  app.add_option("--trace", o.traceFile, "Write the step's timeline (Chrome trace JSON) here");
  app.add_option("--trace-limit", o.traceLimit, "Most send/receive events each rank keeps")
      ->check(CLI::PositiveNumber);

  try {
    MpiSession session(&argc, &argv);
    int rank = 0;
    COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (rank == 0) std::fprintf(stderr, "commsim-smpi: %s\n", e.what());
      return e.get_exit_code() == 0 ? kExitOk : kExitBadInput;
    }
    MpiTransport transport(MPI_COMM_WORLD);
    try {
      return simulate(o, transport);
    } catch (const UsageError& e) {
      if (rank == 0) std::fprintf(stderr, "commsim-smpi: %s\n", e.what());
      return kExitBadInput;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commsim-smpi: error: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, kExitBadInput);
    return kExitBadInput;
  }
}
