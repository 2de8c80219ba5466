// `commsim bench`: every paradigm, and the library baselines, swept over message sizes in the
// manner of nccl-tests (-b, -e, -f, -w, -n, -c). The harness (commsim/bench.hpp) checks, warms up
// and times each step; this file picks the sizes and collects the rows into a report
// (bench_report.hpp), written as JSON and CSV here, as text by bench_text.cpp, with the ratios
// of bench_ratios.cpp.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>

#include "bench_report.hpp"
#include "commands.hpp"
#include "commsim/baseline.hpp"
#include "commsim/bench.hpp"
#include "commsim/error.hpp"
#include "commsim/step_report.hpp"
#include "core/size_parse.hpp"
#include "launch.hpp"
#include "output.hpp"
#include "selection.hpp"
#include "trace_options.hpp"

namespace commsim::cli {

namespace {

// The allowance beyond the 3*p*s bytes of buffers per rank (SPEC §8) that peak RSS is held to:
// the program, MPI's own buffers and shared-memory segments.
constexpr std::uint64_t kMemorySlackBytes = std::uint64_t{64} << 20;

struct BenchOptions {
  SweepOptions sweep{"8", "32M", "2", "5", "20"};
  std::string checks = "1";
  OutputOptions output;
  TraceOptions trace;
  SelectionOptions selection;
};

std::string displayName(const Paradigm& p, const Layout& layout) {
  const std::string variant = p.variant(layout);
  return std::string(p.name()) + (variant.empty() ? "" : " (" + variant + ")");
}

// One line on stderr, rewritten in place, while a sweep runs; only where a person watches it.
class Progress {
 public:
  Progress(bool on, std::size_t total) : on_(on && isatty(STDERR_FILENO)), total_(total) {}
  void show(std::uint64_t bytes, const Paradigm& p, const Layout& layout) {
    if (!on_) return;
    std::fprintf(stderr, "\r\033[K[commsim bench] %zu/%zu  %s  %s", ++done_, total_,
                 humanBytes(bytes).c_str(), displayName(p, layout).c_str());
    std::fflush(stderr);
  }
  ~Progress() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  bool on_;
  std::size_t total_;
  std::size_t done_ = 0;
};

BenchRow benchRow(const Paradigm& p, const BenchResult& r, const Layout& layout,
                  std::uint64_t count, DType dtype, const BenchSettings& settings) {
  return {count,
          dtype,
          countsRow(p, layout, r.counters, r.expected, r.countsOk, r.wrong),
          r.checkedSteps,
          r.time,
          bandwidth(p, layout, count, elementBytes(dtype), r.time.avg),
          static_cast<int>(r.time.perStep.size()),
          settings.warmup};
}

// The closed forms of the run, one line per paradigm, with this n.
std::string describeForms(const std::vector<RankCase>& cases, const Layout& layout,
                          std::size_t s) {
  std::ostringstream os;
  for (const auto& c : cases) {
    if (!c.paradigm) continue;
    const Paradigm& p = *c.paradigm;
    const Expectation x = p.expect(layout, 1, s);
    os << "#   " << displayName(p, layout) << ": ";
    if (x.counted)
      os << x.messagesFormula << " = " << x.messages << " messages, " << x.bytesFormula
         << " bytes per step";
    else
      os << "the library's own messages, not counted";
    os << "; busbw factor " << fixed(p.busbwFactor(layout), 3) << '\n';
  }
  return os.str();
}

// How many ranks share this rank's process (threads of --local), by host name and process id.
int ranksPerProcess(Transport& t) {
  const std::uint64_t me[] = {std::hash<std::string>{}(hostName()) ^
                              static_cast<std::uint64_t>(getpid())};
  std::vector<std::uint64_t> all(static_cast<std::size_t>(t.size()));
  t.allgather(me, all);
  std::uint64_t shared[] = {static_cast<std::uint64_t>(std::count(all.begin(), all.end(), me[0]))};
  t.allreduce(shared, ReduceOp::Max);
  return static_cast<int>(shared[0]);
}

}  // namespace

Json toJson(const BenchRow& r) {
  Json row;
  row["size_bytes"] = r.sizeBytes();
  row["count"] = r.count;
  row["dtype"] = dtypeName(r.dtype);
  addJson(row, r.counts);
  row["checked_iterations"] = r.checkedIterations;
  row["time_s"] = r.time.avg;
  row["time_avg_s"] = r.time.avg;
  row["time_min_s"] = r.time.min;
  row["time_max_s"] = r.time.max;
  row["time_p50_s"] = r.time.p50;
  row["time_p99_s"] = r.time.p99;
  row["slowest_rank"] = r.time.mostOftenSlowest;
  row["slowest_rank_iterations"] = r.time.slowestSteps;
  row["straggler"] = r.time.straggler;
  addJson(row, r.bandwidth);
  row["iterations"] = r.iterations;
  row["warmup_iterations"] = r.warmup;
  return row;
}

namespace {

int runBench(const BenchOptions& o, ProcessArgs args) {
  Selection selection = resolveSelection(o.selection, /*allowBaselines=*/true);
  const DType dtype = selection.dtype;
  const std::size_t s = elementBytes(dtype);
  const Sweep sweep = parseSweep(o.sweep, s);
  const std::vector<std::uint64_t>& counts = sweep.counts;
  const int checks = parseRepetitions(o.checks, "check-iters", 0, "checked steps");
  const Format format = o.output.validate();
  o.trace.validate();
  validateLaunch(o.selection.launch);
  const BenchSettings settings{sweep.warmup, sweep.iterations, checks, kDefaultLearningRate,
                               o.trace.all, o.trace.delay(), sweep.minTimeS};

  return launch(args, o.selection.launch, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "bench");
    auto agreed = selection.agreed();
    for (const auto& v : sweep.agreed()) agreed.push_back(v);
    agreed.push_back({"check-iters", static_cast<std::uint64_t>(checks)});
    for (const auto& v : o.trace.agreed()) agreed.push_back(v);
    ensureRanksAgree(t, agreed);
    ensureDelayedRankExists(settings.delay, t.size());
    const Layout layout = selection.layoutFor(t);
    const std::vector<RankCase> cases = selection.cases(t, memory, layout);
    BenchReport report;
    std::size_t runnable = 0;
    for (const auto& c : cases) {
      if (c.paradigm) ++runnable;
      else report.skipped.push_back({c.name, c.unavailable});
    }
    if (runnable == 0)
      throw UsageError("paradigm: nothing this run can do: " + report.skipped.front().reason);
    ensureExactInputs(layout, dtype);
    ensureFitsInMemory(t, memory, counts.back(), dtype, "maxbytes");
    StepBuffers buffers(memory, counts.back(), dtype);
    TraceSession trace(o.trace, t);

    bool ok = true;
    {
      Progress progress(t.rank() == 0, counts.size() * runnable);
      for (const std::uint64_t count : counts) {
        for (const auto& c : cases) {
          if (!c.paradigm) continue;
          progress.show(count * s, *c.paradigm, layout);
          const BenchResult r =
              benchmarkStep(*c.paradigm, t, memory, layout, buffers, count, dtype, settings);
          ok = ok && r.ok();
          report.rows.push_back(benchRow(*c.paradigm, r, layout, count, dtype, settings));
        }
      }
    }

    trace.finish();
    const std::uint64_t mine[] = {peakResidentBytes()};
    std::vector<std::uint64_t> rss(static_cast<std::size_t>(t.size()));
    t.allgather(mine, rss);
    const int shared = ranksPerProcess(t);
    const std::uint64_t bound =
        static_cast<std::uint64_t>(shared) * 3 * counts.back() * s + kMemorySlackBytes;

    report.ranks = describeRanks(t.name(), t.size(), layout);
    report.detail = t.detail();
    report.forms = describeForms(cases, layout, s);
    report.dtype = dtype;
    report.sweep = sweep;
    report.checks = settings.checks;
    report.ratios = baselineRatios(report.rows);
    report.peakRss = rss;
    report.ranksPerProcess = shared;
    report.memoryBound = bound;
    report.memoryOk = *std::max_element(rss.begin(), rss.end()) <= bound;
    report.ok = ok;

    Json doc = toJson(documentHeader("bench", t, memory, layout, dtype));
    sweep.describe(doc);
    doc["check_iterations"] = report.checks;
    std::vector<Json> rows;
    for (const BenchRow& r : report.rows) rows.push_back(toJson(r));
    doc["rows"] = rows;
    doc["skipped"] = Json::array();
    for (const Skipped& skip : report.skipped)
      doc["skipped"].push_back({{"paradigm", skip.paradigm}, {"reason", skip.reason}});
    doc["baseline_ratios"] = Json::array();
    for (const RatioRow& r : report.ratios) doc["baseline_ratios"].push_back(toJson(r));
    doc["peak_rss_bytes"] = report.peakRss;
    doc["ranks_per_process"] = report.ranksPerProcess;
    doc["memory_bound_bytes"] = report.memoryBound;
    doc["memory_ok"] = report.memoryOk;
    doc["ok"] = report.ok;
    if (t.rank() == 0)
      o.output.emit(format, doc, rows, format == Format::kText ? renderBenchText(report) : "");
    return ok ? kExitOk : kExitCheckFailed;
  });
}

}  // namespace

void addBenchCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<BenchOptions>();
  // The table's three, and, unless --paradigm is given, the baseline of the backend's library
  // (defaultBaselines).
  CLI::App* app = root.add_subcommand(
      "bench", "Sweep message sizes for every paradigm and baseline: time, bandwidth, counts");
  o->sweep.add(app);
  app->add_option("-c,--check-iters", o->checks,
                  "Checked steps (exact result, counts) per size and paradigm, before the timed "
                  "ones; 0 checks only the counts")
      ->capture_default_str();
  o->output.add(app);
  o->trace.add(app, /*withAll=*/true);
  addSelectionOptions(app, o->selection, /*allowBaselines=*/true);
  const CLI::Option* chosen = app->get_option("--paradigm");
  commands.push_back({app, [o, chosen](ProcessArgs args) {
                        if (chosen->count() == 0)
                          for (const auto& b :
                               defaultBaselines(o->selection.launch.backend.transport))
                            o->selection.paradigms.push_back(b);
                        return runBench(*o, args);
                      }});
}

}  // namespace commsim::cli
