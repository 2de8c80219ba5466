// `commsim validate`: how far the cost model (and SimGrid, where it is built) is from this
// machine (SPEC §13). On the ranks at hand it calibrates (or takes --topology), runs every
// algorithm's step over the sizes as `bench` does, then rank 0 predicts each with the topology,
// simulates them all in one `commsim simulate` (a child process, so SMPI never meets this job's
// MPI), and reports, per algorithm and size, measured, predicted and simulated time and the
// errors (predicted - measured) / measured, with their median and largest magnitude.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "calibrate.hpp"
#include "commands.hpp"
#include "commsim/bench.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/error.hpp"
#include "commsim/topology.hpp"
#include "core/progress.hpp"
#include "core/size_parse.hpp"
#include "core/subprocess.hpp"
#include "launch.hpp"
#include "model_options.hpp"
#include "output.hpp"
#include "selection.hpp"
#include "simulate.hpp"

namespace commsim::cli {

namespace {

namespace fs = std::filesystem;

// The calibration measures up to the largest size, and at least this far: small largest sizes
// leave the bandwidth all latency (calibrate refuses below 64 KiB; 4 MiB is steadier).
constexpr std::uint64_t kLeastCalibrated = std::uint64_t{4} << 20;
// write_after_send is measured again before each size's steps up to this pass size: beyond it the
// passes stream from DRAM and it stays near 0 (docs/validation.md), and the probe's buffers stay
// small beside the steps'.
constexpr std::uint64_t kLargestReprobed = std::uint64_t{16} << 20;

struct ValidateOptions {
  SweepOptions sweep{"64K", "256M", "4", "2", "10", "0.05"};
  std::string calibrateIterations = "10";
  std::string topology;  // empty: calibrate on these ranks
  bool noSimulate = false;
  bool noReprobe = false;  // predict every size with write_after_send as calibrated
  std::string step = "avg";  // which step time is "measured": the average or the fastest
  std::string timeout = "600";
  OutputOptions output;
  SelectionOptions selection;
};

// write_after_send measured again right before one size's steps: at the calibration's pass sizes
// up to the size (and kLargestReprobed), the whole pass's surcharge, seconds; empty when not.
struct Reprobe {
  std::uint64_t sizeBytes = 0;
  std::vector<std::uint64_t> passSizes;
  std::vector<double> timeS;
};

// One algorithm at one size.
struct Point {
  const Paradigm* paradigm;
  std::uint64_t count;
  BenchResult measured;
  double predictedS = 0;
  std::optional<double> simulatedS;
};

double relativeError(double estimate, double measured) { return (estimate - measured) / measured; }

struct ErrorSummary {
  double median = 0;
  double max = 0;
  std::size_t points = 0;
};

ErrorSummary summarise(std::vector<double> errors) {
  ErrorSummary s;
  s.points = errors.size();
  if (errors.empty()) return s;
  for (double& e : errors) e = std::abs(e);
  std::sort(errors.begin(), errors.end());
  const std::size_t n = errors.size();
  s.median = n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
  s.max = errors.back();
  return s;
}

std::string percent(double e) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f%%", e * 100);
  return text;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The points of one size (`count`; 0: of every size) simulated at once: `commsim simulate` on the
// topology, the run's workers, every such size and algorithm, its JSON read back. Returns why not
// when it could not.
std::string simulateAll(std::vector<Point>& points, std::uint64_t count, const std::string& topologyFile,
                        const AlgorithmOptions& algorithm, int workers, DType dtype,
                        const std::string& timeout, const fs::path& dir) {
  std::vector<std::string> names, counts;
  for (const Point& p : points) {
    if (count != 0 && p.count != count) continue;
    const std::string name(p.paradigm->name());
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    const std::string countText = std::to_string(p.count);
    if (std::find(counts.begin(), counts.end(), countText) == counts.end()) counts.push_back(countText);
  }
  const fs::path json = dir / "simulated.json";
  std::vector<std::string> argv = {fs::read_symlink("/proc/self/exe").string(),
                                   "simulate", "--topology", topologyFile, "-n",
                                   std::to_string(workers), "-p", joined(counts), "--paradigm",
                                   joined(names), "-d", std::string(dtypeName(dtype)),
                                   "--timeout", timeout, "--format", "json", "--json",
                                   json.string(), "--servers", std::to_string(algorithm.servers),
                                   "--segments", std::to_string(algorithm.segments)};
  if (algorithm.colocated) argv.push_back("--colocated");
  if (algorithm.ranksPerHost > 0) {
    argv.push_back("--ranks-per-host");
    argv.push_back(std::to_string(algorithm.ranksPerHost));
  }
  ChildOptions child;
  child.unsetPrefixes = {"OMPI_", "PMIX_", "PMI_"};  // it is not a rank of this job
  const fs::path log = dir / "simulate.log";
  const ChildRun run = runLogged(argv, log.string(), child);
  if (run.status != 0 || !fs::exists(json)) {
    std::ifstream in(log);
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    return "commsim simulate exited with status " + std::to_string(run.status) + ": " + last;
  }
  std::ifstream in(json);
  const Json doc = Json::parse(in);
  for (const SimulatedTime& row : simulatedTimes(doc))
    for (Point& p : points)
      if (row.paradigm == p.paradigm->name() && row.params == p.count && (count == 0 || p.count == count))
        p.simulatedS = row.timeS;
  return "";
}

// --step's statistic in words; empty for a value it does not allow.
std::string stepName(const std::string& step) {
  return step == "avg" ? "average" : step == "median" ? "median" : step == "min" ? "fastest" : "";
}

// One algorithm at one size: measured, predicted and (when simulated) simulated.
struct ValidateRow {
  std::string paradigm;
  std::string variant;
  int workers = 0;
  std::uint64_t count = 0;
  std::uint64_t sizeBytes = 0;
  double measuredS = 0;  // the average, the median or the fastest step, as --step says
  double measuredAvgS = 0;
  double measuredMedianS = 0;
  double measuredMinS = 0;
  int steps = 0;  // timed: -n, or more under --min-time
  double predictedS = 0;
  std::optional<double> simulatedS;
  std::uint64_t wrong = 0;
  bool countsOk = false;

  bool ok() const { return countsOk && wrong == 0; }
  double predictedError() const { return relativeError(predictedS, measuredS); }
  std::optional<double> simulatedError() const {
    if (!simulatedS) return std::nullopt;
    return relativeError(*simulatedS, measuredS);
  }
};

Json toJson(const ValidateRow& r) {
  const auto orNull = [](std::optional<double> v) { return v ? Json(*v) : Json(nullptr); };
  Json row;
  row["paradigm"] = r.paradigm;
  row["variant"] = r.variant;
  row["workers"] = r.workers;
  row["size_bytes"] = r.sizeBytes;
  row["count"] = r.count;
  row["measured_s"] = r.measuredS;
  row["measured_avg_s"] = r.measuredAvgS;
  row["measured_median_s"] = r.measuredMedianS;
  row["measured_min_s"] = r.measuredMinS;
  row["steps"] = r.steps;
  row["predicted_s"] = r.predictedS;
  row["predicted_error"] = r.predictedError();
  row["simulated_s"] = orNull(r.simulatedS);
  row["simulated_error"] = orNull(r.simulatedError());
  row["wrong"] = r.wrong;
  row["counts_ok"] = r.countsOk;
  row["ok"] = r.ok();
  return row;
}

// What the text report says beside the rows.
struct ValidateSummary {
  std::string ranks;     // describeRanks
  std::string topology;  // the file, or "calibrated by this run"
  std::string step;  // avg, median or min
  int iterations = 0;
  std::string minTime;  // Sweep::minTimeText
  std::string again;  // write_after_send measured again, in words; empty: not
  ErrorSummary predicted;
  ErrorSummary simulated;  // no points: not run
  std::string simulateSkipped;
};

std::string renderText(const ValidateSummary& v, const std::vector<ValidateRow>& rows) {
  std::ostringstream os;
  os << "# commsim validate: measured (as bench) against predicted (commsim predict) and simulated "
        "(commsim simulate); error = (estimate - measured) / measured\n";
  os << "#   " << v.ranks << "\n";
  os << "#   topology " << v.topology << "\n";
  os << "#   measured: the " << stepName(v.step) << " (--step) of " << v.iterations << " timed steps"
     << v.minTime << "\n";
  if (!v.again.empty()) os << "#   " << v.again << "\n";
  os << "#\n";
  TextTable table({{"paradigm", true}, {"size"}, {"measured(us)"}, {"predicted(us)"}, {"error"},
                   {"simulated(us)"}, {"error"}, {"check"}});
  const auto us = [](std::optional<double> x) { return x ? fixed(*x * 1e6, 2) : std::string("-"); };
  const auto err = [](std::optional<double> x) { return x ? percent(*x) : std::string("-"); };
  for (const ValidateRow& r : rows)
    table.add({r.paradigm, humanBytes(r.sizeBytes), us(r.measuredS), us(r.predictedS),
               err(r.predictedError()), us(r.simulatedS), err(r.simulatedError()),
               r.ok() ? "✓" : "✗"});
  os << table.render() << "#\n";
  os << "# predicted: median |error| " << fixed(v.predicted.median * 100, 1) << "%, max |error| "
     << fixed(v.predicted.max * 100, 1) << "% over " << rows.size() << " points\n";
  if (v.simulated.points == 0)
    os << "# simulated: not run (" << v.simulateSkipped << ")\n";
  else
    os << "# simulated: median |error| " << fixed(v.simulated.median * 100, 1)
       << "%, max |error| " << fixed(v.simulated.max * 100, 1) << "%\n";
  return os.str();
}

int runValidate(const ValidateOptions& o, ProcessArgs args) {
  const int calibrateIterations =
      parseRepetitions(o.calibrateIterations, "calibrate-iters", 1, "timed exchanges per size");
  const Selection selection = resolveSelection(o.selection, /*allowBaselines=*/false);
  const DType dtype = selection.dtype;
  const std::size_t s = elementBytes(dtype);
  const Sweep sweep = parseSweep(o.sweep, s);
  std::vector<std::uint64_t> counts;  // an error relative to an empty step's time means nothing
  for (const std::uint64_t c : sweep.counts)
    if (c > 0) counts.push_back(c);
  if (counts.empty())
    throw UsageError("maxbytes: " + o.sweep.maxBytes +
                     " holds no whole element (allowed: at least " + std::to_string(s) + " bytes)");
  std::optional<Topology> given;
  if (!o.topology.empty()) given = loadTopology(o.topology);
  if (!o.noSimulate) parseTimeout(o.timeout);
  if (stepName(o.step).empty())
    throw UsageError("step: '" + printable(o.step) + "' is not allowed (allowed: avg, median, min)");
  const Format format = o.output.validate();
  validateLaunch(o.selection.launch);
  // One checked step, no tracing, no delay.
  const BenchSettings settings{
      sweep.warmup, sweep.iterations, 1, kDefaultLearningRate, false, {}, sweep.minTimeS};
  const std::uint64_t calibrated = std::max(kLeastCalibrated, counts.back() * s);

  return launch(args, o.selection.launch, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "validate");
    auto agreed = selection.agreed();
    for (const auto& v : sweep.agreed()) agreed.push_back(v);
    agreed.push_back({"topology", given ? 1u : 0u});
    ensureRanksAgree(t, agreed);
    const Layout layout = selection.layoutFor(t);
    const std::vector<RankCase> cases = selection.cases(t, memory, layout);
    ensureExactInputs(layout, dtype);
    ensureFitsInMemory(t, memory, counts.back(), dtype, "maxbytes");

    // The measurements first, while nothing else of this job runs; the calibration's buffers are
    // released before the steps' are made.
    std::string yaml;
    std::string summary;
    Calibration calibration;
    if (!given) {
      calibration = calibrateRanks(t, memory, calibrated, calibrateIterations, "calibrated");
      yaml = calibration.yaml;
      summary = calibration.summary;
    }
    const bool reprobe = !given && !o.noReprobe;
    const std::vector<std::uint64_t> passSizes = calibratedPassSizes(calibrated);
    std::vector<Reprobe> reprobes;
    std::vector<Point> points;
    bool ok = true;
    {
      StepBuffers buffers(memory, counts.back(), dtype);
      for (const std::uint64_t count : counts) {
        // This machine's cost of writing what a peer has just read changes state from minute to
        // minute (docs/validation.md): measured again right before the size's steps, the
        // prediction meets the state the steps meet.
        if (reprobe) {
          Reprobe r{count * s, {}, {}};
          for (const std::uint64_t m : passSizes)
            if (m <= std::min(r.sizeBytes, kLargestReprobed)) r.passSizes.push_back(m);
          progress::enter("measuring write_after_send again", "validate");
          r.timeS = writeAfterSendTimes(t, memory, r.passSizes, calibrateIterations);
          reprobes.push_back(std::move(r));
        }
        for (const auto& c : cases) {
          progress::enter("timing the algorithms' steps", "validate");
          Point p{c.paradigm, count,
                  benchmarkStep(*c.paradigm, t, memory, layout, buffers, count, dtype, settings),
                  0, std::nullopt};
          ok = ok && p.measured.ok();
          points.push_back(std::move(p));
        }
      }
    }
    if (t.rank() != 0) return ok ? kExitOk : kExitCheckFailed;

    // Rank 0 alone from here: the model and the simulator, nothing of MPI.
    progress::enter("predicting and simulating", "validate");
    // Each size's topology: the calibration's, with write_after_send as measured again before
    // the size's steps where it was (0: the one topology for every size).
    std::map<std::uint64_t, std::string> yamlOf;
    const std::vector<double> calibratedTimes =
        reprobe ? calibration.json.at("write_after_send_time_s").get<std::vector<double>>()
                : std::vector<double>{};
    if (reprobe) {
      for (std::size_t i = 0; i < reprobes.size(); ++i) {
        std::vector<double> times = calibratedTimes;
        // The size's probe covers the calibration's first pass sizes, in order.
        std::copy(reprobes[i].timeS.begin(), reprobes[i].timeS.end(), times.begin());
        yamlOf[counts[i]] = calibration.withWriteAfterSend(times);
      }
    } else {
      yamlOf[0] = yaml;
    }
    std::map<std::uint64_t, Topology> topologyOf;
    for (const auto& [count, text] : yamlOf)
      topologyOf.emplace(count, given ? *given : parseTopology(text, "the calibration of this run"));
    for (Point& p : points) {
      const Topology& topo = topologyOf.at(reprobe ? p.count : 0);
      p.predictedS = predict(topo, *p.paradigm, layout.workers, p.count, s, topologyOptions(topo)).timeS;
    }

    std::string skipped;
    if (o.noSimulate) skipped = "--no-simulate";
    else if (!simulatorAvailable()) skipped = "this commsim was built without SimGrid";
    if (skipped.empty()) {
      std::string templ = (fs::temp_directory_path() / "commsim-validate-XXXXXX").string();
      if (!mkdtemp(templ.data())) throw Error("validate: cannot create a scratch directory");
      const fs::path dir = templ;
      for (const auto& [count, text] : yamlOf) {
        std::string file = o.topology;
        if (!given) {
          file = (dir / ("calibrated-" + std::to_string(count) + ".yaml")).string();
          writeFileAtomically(file, text);
        }
        skipped = simulateAll(points, count, file, selection.algorithm, layout.workers, dtype, o.timeout, dir);
        if (!skipped.empty()) break;
      }
      std::error_code ec;
      fs::remove_all(dir, ec);
    }

    std::vector<ValidateRow> results;
    std::vector<double> predictedErrors, simulatedErrors;
    for (const Point& p : points) {
      ValidateRow r;
      r.paradigm = std::string(p.paradigm->name());
      r.variant = p.paradigm->variant(layout);
      r.workers = layout.workers;
      r.count = p.count;
      r.sizeBytes = p.count * s;
      const Timing& time = p.measured.time;
      r.measuredS = o.step == "min" ? time.min : o.step == "median" ? time.p50 : time.avg;
      r.measuredMedianS = time.p50;
      r.measuredAvgS = p.measured.time.avg;
      r.measuredMinS = p.measured.time.min;
      r.steps = static_cast<int>(p.measured.time.perStep.size());
      r.predictedS = p.predictedS;
      r.simulatedS = p.simulatedS;
      r.wrong = p.measured.wrong;
      r.countsOk = p.measured.countsOk;
      predictedErrors.push_back(r.predictedError());
      if (const auto e = r.simulatedError()) simulatedErrors.push_back(*e);
      results.push_back(r);
    }
    std::vector<Json> rows;
    for (const ValidateRow& r : results) rows.push_back(toJson(r));
    const ErrorSummary predicted = summarise(predictedErrors);
    const ErrorSummary simulated = summarise(simulatedErrors);

    Json doc = toJson(documentHeader("validate", t, memory, layout, dtype));
    sweep.describe(doc);
    doc["step"] = o.step;
    doc["topology"] = {{"source", given ? o.topology : std::string("calibrated by this run")},
                       {"yaml", given ? std::string() : yaml},
                       {"calibration", summary}};
    Json again = Json::array();
    for (const Reprobe& r : reprobes)
      again.push_back({{"size_bytes", r.sizeBytes}, {"pass_sizes_bytes", r.passSizes}, {"time_s", r.timeS}});
    doc["write_after_send_again"] = again;
    doc["rows"] = rows;
    doc["median_abs_error"] = predicted.median;
    doc["max_abs_error"] = predicted.max;
    if (simulated.points > 0) {
      doc["simulated_median_abs_error"] = simulated.median;
      doc["simulated_max_abs_error"] = simulated.max;
      doc["simulate_skipped"] = nullptr;
    } else {
      doc["simulated_median_abs_error"] = nullptr;
      doc["simulated_max_abs_error"] = nullptr;
      doc["simulate_skipped"] = skipped.empty() ? "no point simulated" : skipped;
    }
    doc["ok"] = ok;
    std::string againText;
    if (!reprobes.empty()) {
      againText = "write_after_send measured again before each size's steps (--no-reprobe: not), "
                  "ns/B at the size's largest pass, calibrated -> again:";
      for (const Reprobe& r : reprobes) {
        if (r.passSizes.empty()) continue;
        const std::size_t k = r.passSizes.size() - 1;
        const auto perByte = [&](double seconds) {
          return fixed(seconds / static_cast<double>(r.passSizes[k]) * 1e9, 3);
        };
        againText += " " + humanBytes(r.passSizes[k]) + " " + perByte(calibratedTimes[k]) + "->" +
                     perByte(r.timeS[k]) + ";";
      }
      againText.pop_back();
    }
    const ValidateSummary summaryText{
        describeRanks(t.name(), t.size(), layout),
        given ? o.topology : std::string("calibrated by this run"),
        o.step,
        sweep.iterations,
        sweep.minTimeText(),
        againText,
        predicted,
        simulated,
        skipped.empty() ? "no point simulated" : skipped};
    o.output.emit(format, doc, rows, format == Format::kText ? renderText(summaryText, results) : "");
    return ok ? kExitOk : kExitCheckFailed;
  });
}

}  // namespace

void addValidateCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<ValidateOptions>();
  // Every algorithm, the parameter server on worker 0 so that all run on the same workers.
  o->selection.paradigms = algorithmNames();
  o->selection.algorithm.colocated = true;
  CLI::App* app = root.add_subcommand(
      "validate",
      "Measure every algorithm, predict and simulate it, and report the model's error (under mpirun)");
  o->sweep.add(app);
  app->add_option("--topology", o->topology,
                  "Predict and simulate on this topology file instead of calibrating first");
  app->add_option("--calibrate-iters", o->calibrateIterations,
                  "Timed exchanges per size and peer of the calibration (the fastest is kept)")
      ->capture_default_str();
  app->add_flag("--no-simulate", o->noSimulate, "Leave SimGrid out");
  app->add_flag("--no-reprobe", o->noReprobe,
                "Predict every size with the calibration as measured first, without measuring "
                "write_after_send again right before the size's steps");
  app->add_option("--step", o->step,
                  "The measured time each error is taken against: avg (SPEC §3's average step), "
                  "median (which a few slow steps do not move) or min (the fastest, which other "
                  "load on the machine disturbs least)")
      ->capture_default_str();
  app->add_option("--simulate-timeout", o->timeout, "Seconds the simulation may take (0: no limit)")
      ->capture_default_str();
  o->output.add(app);
  addSelectionOptions(app, o->selection, /*allowBaselines=*/false);
  commands.push_back({app, [o](ProcessArgs args) { return runValidate(*o, args); }});
}

}  // namespace commsim::cli
