// `commsim train`: a model's training step, its gradient synchronised bucket by bucket while
// backward goes on, counted, checked and timed (SPEC §11, docs/train.md).
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "commsim/baseline.hpp"
#include "commsim/error.hpp"
#include "commsim/train.hpp"
#include "launch.hpp"
#include "selection.hpp"
#include "train_report.hpp"

namespace commsim::cli {

namespace {

// Without --compute-rate: 10^14 FLOP/s sustained, about what an A100 or H100 keeps up in a large
// model's mixed-precision training step (docs/train.md).
constexpr double kDefaultComputeRate = 1e14;

struct TrainOptions {
  WorkloadOptions workload;
  std::string algorithm;
  std::string iterations = "5";
  AlgorithmOptions algorithmOptions;
  LaunchOptions launch;
  OutputOptions output;
};

TrainReport report(const Workload& w, const Paradigm& p, const Layout& layout,
                   const TrainResult& r, const TrainOptions& o, double rate,
                   const ComputeTimeline& compute) {
  TrainReport rep;
  rep.workload = &w;
  rep.algorithm = std::string(p.name());
  rep.variant = p.variant(layout);
  rep.workers = layout.workers;
  rep.bucketBytes = o.workload.capBytes();
  rep.computeRate = w.needsRate() ? rate : 0;
  rep.computeScale = o.workload.computeScale;
  rep.forwardS = compute.forwardS;
  for (const TrainBucketResult& b : r.buckets) {
    TrainBucketRow row = countedBucketRow(b.bucket, w.dtype, b.counters, b.expected,
                                          static_cast<std::uint64_t>(r.iterations));
    row.wrong = b.wrong;
    row.span = b.span;
    row.ok = b.countsMatch(r.iterations) && b.wrong == 0;
    rep.rows.push_back(row);
  }
  rep.step = r.step;
  rep.ok = r.ok();
  return rep;
}

// What the document says before the step: the run, and the steps timed.
struct TrainHeader {
  RunHeader run;
  int iterations = 0;
  double measuredStepS = 0;  // the slowest rank's, barrier to last bucket, averaged
};

Json toJson(const TrainHeader& h) {
  Json doc = toJson(h.run);
  doc["iterations"] = h.iterations;
  doc["measured_step_s"] = h.measuredStepS;
  return doc;
}

int runTrain(const TrainOptions& o, ProcessArgs args) {
  // Everything the user gave is checked before any rank starts (SPEC §7).
  const Workload w = loadWorkload(o.workload.workload);
  const std::uint64_t cap = o.workload.capBytes();
  const int iterations = parseRepetitions(o.iterations, "iterations", 1, "timed steps");
  const double rate = o.workload.rate(kDefaultComputeRate);
  const ComputeTimeline compute = computeTimeline(w, rate, o.workload.computeScale);
  const std::vector<Bucket> buckets = formBuckets(w, cap);
  SelectionOptions so;
  so.dtype = std::string(dtypeName(w.dtype));
  so.paradigms = {o.algorithm};
  so.algorithm = o.algorithmOptions;
  so.launch = o.launch;
  Selection selection = resolveSelection(so, /*allowBaselines=*/true);
  if (selection.chosen.size() != 1)
    throw UsageError("algorithm: '" + o.algorithm + "' names " +
                     std::to_string(selection.chosen.size()) +
                     " algorithms (allowed: exactly one; commsim list names them)");
  const Format format = o.output.validate();
  validateLaunch(o.launch);

  return launch(args, o.launch, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "train");
    auto agreed = selection.agreed();
    agreed.insert(agreed.begin(), {{"params", w.params()},
                                   {"tensors", w.tensors.size()},
                                   {"buckets", buckets.size()},
                                   {"iterations", static_cast<std::uint64_t>(iterations)}});
    ensureRanksAgree(t, agreed);
    const Layout layout = selection.layoutFor(t);
    ensureExactInputs(layout, w.dtype);
    ensureFitsInMemory(t, memory, w.params(), w.dtype, "workload params");
    std::vector<RankCase> cases = selection.cases(t, memory, layout);
    if (!cases.front().paradigm)
      throw UsageError("algorithm: " + cases.front().name + " cannot run here: " +
                       cases.front().unavailable);
    const Paradigm& p = *cases.front().paradigm;
    const TrainResult r = runTrainingSteps(p, t, memory, layout, w.dtype, w.params(), buckets,
                                           compute, iterations, sleepOnHost);
    if (t.rank() == 0) {
      const TrainReport rep = report(w, p, layout, r, o, rate, compute);
      const TrainHeader header{runHeader("train", t, memory), iterations, r.measuredStepS};
      const std::string lines = "#   " + describeRanks(t.name(), t.size(), layout) + "; " +
                                std::to_string(iterations) +
                                " timed steps (times: the slowest rank's, averaged)\n";
      o.output.emit(format, trainDocument(rep, toJson(header)), trainCsvRows(rep),
                    format == Format::kText
                        ? trainText(rep, "commsim train: one training step's gradient "
                                         "synchronisation, bucket by bucket, overlapping backward",
                                    lines)
                        : "");
    }
    return r.ok() ? kExitOk : kExitCheckFailed;
  });
}

}  // namespace

void addTrainCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* app = root.add_subcommand(
      "train", "Run a model's training-step communication: DDP buckets synchronised while "
               "backward goes on (docs/train.md)");
  addWorkloadOptions(app, o->workload, /*workloadRequired=*/true);
  app->add_option("--algorithm", o->algorithm,
                  "The algorithm or baseline synchronising each bucket: " +
                      joinNames(algorithmNames()) + ", " + joinNames(baselineNames()))
      ->required();
  app->add_option("--iterations", o->iterations, "Timed steps, after one untimed warm-up")
      ->capture_default_str();
  addAlgorithmOptions(app, o->algorithmOptions);
  addLaunchOptions(app, o->launch);
  o->output.add(app);
  commands.push_back({app, [o](ProcessArgs args) { return runTrain(*o, args); }});
}

}  // namespace commsim::cli
