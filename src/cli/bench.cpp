// `commsim bench`: every paradigm, and the library baselines, swept over message sizes in the
// manner of nccl-tests (-b, -e, -f, -w, -n, -c). The harness (commsim/bench.hpp) checks, warms up
// and times each step; this file picks the sizes, collects the rows and prints them.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "commsim/baseline.hpp"
#include "commsim/bench.hpp"
#include "commsim/error.hpp"
#include "commsim/size_parse.hpp"
#include "commsim/step_report.hpp"
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

Json benchRow(const Paradigm& p, const BenchResult& r, const Layout& layout, std::uint64_t count,
              DType dtype, const BenchSettings& settings) {
  const std::size_t s = elementBytes(dtype);
  Json row;
  row["size_bytes"] = count * s;
  row["count"] = count;
  row["dtype"] = dtypeName(dtype);
  row.update(countsRow(p, layout, r.counters, r.expected, r.countsOk, r.wrong));
  row["checked_iterations"] = r.checkedSteps;
  row["time_s"] = r.time.avg;
  row["time_avg_s"] = r.time.avg;
  row["time_min_s"] = r.time.min;
  row["time_max_s"] = r.time.max;
  row["time_p50_s"] = r.time.p50;
  row["time_p99_s"] = r.time.p99;
  row["slowest_rank"] = r.time.mostOftenSlowest;
  row["slowest_rank_iterations"] = r.time.slowestSteps;
  row["straggler"] = r.time.straggler;
  addBandwidth(row, p, layout, count, s, r.time.avg);
  row["iterations"] = settings.iterations;
  row["warmup_iterations"] = settings.warmup;
  return row;
}

// For each baseline of the run, each paradigm's busbw and algbw relative to it, size by size.
Json baselineRatios(const std::vector<Json>& rows) {
  std::map<std::string, std::map<std::uint64_t, const Json*>> bySize;  // paradigm -> size -> row
  std::vector<std::string> baselines, paradigms;
  for (const Json& row : rows) {
    const std::string name = row["paradigm"];
    auto& sizes = bySize[name];
    if (sizes.empty()) (isBaselineName(name) ? baselines : paradigms).push_back(name);
    sizes[row["size_bytes"].get<std::uint64_t>()] = &row;
  }
  Json ratios = Json::array();
  for (const auto& b : baselines) {
    for (const auto& p : paradigms) {
      for (const auto& [size, prow] : bySize[p]) {
        const auto it = bySize[b].find(size);
        if (it == bySize[b].end()) continue;
        const Json& brow = *it->second;
        const double bBus = brow["busbw_GBps"], pBus = (*prow)["busbw_GBps"];
        const double bTime = brow["time_avg_s"], pTime = (*prow)["time_avg_s"];
        const double bBest = brow["time_min_s"], pBest = (*prow)["time_min_s"];
        if (bBus <= 0 || pTime <= 0 || pBest <= 0) continue;
        // busbw per unit of algbw: the two rows' busbw factors.
        const double factors = (pBus * pTime) / (bBus * bTime);
        Json r;
        r["paradigm"] = p;
        r["baseline"] = b;
        r["size_bytes"] = size;
        r["busbw_ratio"] = pBus / bBus;
        r["algbw_ratio"] = bTime / pTime;
        // The same from the fastest step of each, which other load on the machine disturbs least.
        r["busbw_ratio_best"] = factors * bBest / pBest;
        r["algbw_ratio_best"] = bBest / pBest;
        ratios.push_back(r);
      }
    }
  }
  return ratios;
}

std::string ratioText(double r) { return fixed(r, 2) + "x"; }

// "r3 18/20": the rank slowest most often and in how many timed steps, with "!" when it was
// consistently the slowest (a straggler, Timing::straggler).
std::string slowestText(const Json& row, int iterations) {
  return "r" + std::to_string(row["slowest_rank"].get<int>()) + " " +
         std::to_string(row["slowest_rank_iterations"].get<int>()) + "/" +
         std::to_string(iterations) + (row["straggler"].get<bool>() ? " !" : "");
}

std::string renderText(const Json& doc, const std::string& ranks, const std::string& forms) {
  std::ostringstream os;
  const int s = doc["element_bytes"];
  os << "# commsim bench: gradient synchronisation swept over sizes, per paradigm and baseline\n"
     << "#   " << ranks << "\n";
  if (doc.contains("transport_detail"))
    os << "#   " << doc["transport_detail"].get<std::string>() << "\n";
  os << "#   " << doc["dtype"].get<std::string>() << " (s = " << s << " B); sizes "
     << doc["min_bytes"].get<std::uint64_t>() << " to " << doc["max_bytes"].get<std::uint64_t>()
     << " bytes, factor " << doc["step_factor"].get<std::uint64_t>() << "; per size and paradigm "
     << doc["check_iterations"].get<int>() << " checked, " << doc["warmup_iterations"].get<int>()
     << " warm-up and " << doc["iterations"].get<int>() << " timed steps\n"
     << "#   time: the slowest rank's, per step; p50, p99: nearest-rank percentiles of the timed "
        "steps; slowest: the rank\n#   slowest most often (r, steps), ! when in at least "
     << static_cast<int>(kStragglerShare * 100) << "% of at least " << kStragglerMinSteps
     << " steps; algbw = p*s/time; busbw = busiest endpoint's bytes/time\n"
     << forms << "#\n";
  TextTable table({{"size (B)"},
                   {"count"},
                   {"type", true},
                   {"paradigm", true},
                   {"time avg (us)"},
                   {"min (us)"},
                   {"max (us)"},
                   {"p50 (us)"},
                   {"p99 (us)"},
                   {"slowest", true},
                   {"algbw (GB/s)"},
                   {"busbw (GB/s)"},
                   {"messages"},
                   {"bytes"},
                   {"formula", true},
                   {"wrong"}});
  for (const Json& r : doc["rows"]) {
    const bool counted = r["counted"];
    std::string check = "-";
    if (counted)
      check = r["counts_ok"].get<bool>()
                  ? "\u2713"
                  : "\u2717 want " + std::to_string(r["expected_messages"].get<std::uint64_t>()) +
                        " / " + std::to_string(r["expected_total_bytes"].get<std::uint64_t>());
    else if (!r["counts_ok"].get<bool>())
      check = "\u2717 sent through the counted transport";
    std::string name = r["paradigm"];
    if (!r["variant"].get<std::string>().empty()) name += " (" + r["variant"].get<std::string>() + ")";
    table.add({std::to_string(r["size_bytes"].get<std::uint64_t>()),
               std::to_string(r["count"].get<std::uint64_t>()), r["dtype"], name,
               fixed(r["time_avg_s"].get<double>() * 1e6, 2),
               fixed(r["time_min_s"].get<double>() * 1e6, 2),
               fixed(r["time_max_s"].get<double>() * 1e6, 2),
               fixed(r["time_p50_s"].get<double>() * 1e6, 2),
               fixed(r["time_p99_s"].get<double>() * 1e6, 2),
               slowestText(r, doc["iterations"].get<int>()),
               fixed(r["algbw_GBps"].get<double>(), 3), fixed(r["busbw_GBps"].get<double>(), 3),
               counted ? std::to_string(r["messages"].get<std::uint64_t>()) : "-",
               counted ? std::to_string(r["total_bytes"].get<std::uint64_t>()) : "-", check,
               r["checked_iterations"].get<int>() > 0
                   ? std::to_string(r["wrong"].get<std::uint64_t>())
                   : "-"});
  }
  os << table.render();
  for (const Json& skip : doc["skipped"])
    os << "#\n# skipped " << skip["paradigm"].get<std::string>() << ": "
       << skip["reason"].get<std::string>() << '\n';

  // Ratios against each baseline: at the largest size, and the geometric mean over all sizes.
  std::map<std::pair<std::string, std::string>, std::vector<const Json*>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const Json& r : doc["baseline_ratios"]) {
    const auto key = std::make_pair(r["baseline"].get<std::string>(), r["paradigm"].get<std::string>());
    if (groups[key].empty()) order.push_back(key);
    groups[key].push_back(&r);
  }
  if (!order.empty()) {
    const std::uint64_t largest = groups[order.front()].back()->at("size_bytes");
    os << "#\n# against the baseline, same run: busbw ratio, and algbw ratio = baseline time / "
          "paradigm time;\n#   from the average step (avg) and from the fastest step of each "
          "(best), which other load disturbs least\n";
    const std::string at = " @ " + humanBytes(largest);
    TextTable summary({{"paradigm", true},
                       {"baseline", true},
                       {"busbw" + at},
                       {"best"},
                       {"algbw" + at},
                       {"best"},
                       {"busbw geomean"},
                       {"best"},
                       {"algbw geomean"},
                       {"best"}});
    const char* fields[] = {"busbw_ratio", "busbw_ratio_best", "algbw_ratio", "algbw_ratio_best"};
    for (const auto& key : order) {
      const auto& list = groups[key];
      const Json& last = *list.back();
      const bool atLargest = last["size_bytes"].get<std::uint64_t>() == largest;
      std::vector<std::string> cells = {key.second, key.first};
      for (const char* f : fields) cells.push_back(atLargest ? ratioText(last[f]) : "-");
      for (const char* f : fields) {
        double logSum = 0;
        for (const Json* r : list) logSum += std::log(r->at(f).get<double>());
        cells.push_back(ratioText(std::exp(logSum / static_cast<double>(list.size()))));
      }
      summary.add(cells);
    }
    os << summary.render();
  } else if (!doc["skipped"].empty()) {
    os << "#\n# no baseline ran, so there are no ratios\n";
  }

  os << "#\n# peak RSS per rank (MiB):";
  for (const Json& b : doc["peak_rss_bytes"])
    os << ' ' << fixed(static_cast<double>(b.get<std::uint64_t>()) / (1 << 20), 0);
  const int shared = doc["ranks_per_process"];
  os << (shared > 1 ? " (the ranks are threads of one process, so each shows the process peak)" : "")
     << "; bound " << (shared > 1 ? std::to_string(shared) + "*" : "") << "3*p*s + 64 MiB = "
     << fixed(static_cast<double>(doc["memory_bound_bytes"].get<std::uint64_t>()) / (1 << 20), 0)
     << " MiB at the largest p: " << (doc["memory_ok"].get<bool>() ? "within" : "EXCEEDED");
  if (!doc["memory_ok"].get<bool>() && !doc["baseline_ratios"].empty())
    os << " (with a baseline's own buffers; bench/memory.sh measures each paradigm alone)";
  os << '\n';
  os << "#\n# "
     << (doc["ok"].get<bool>()
             ? "all checks held: every count equals its closed form and every checked result is "
               "exact"
             : "CHECK FAILED: a count differs from its closed form or a result is wrong")
     << '\n';
  return os.str();
}

// The closed forms of the run, one line per paradigm, with this n.
std::string describeForms(const std::vector<Case>& cases, const Layout& layout, std::size_t s) {
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

int runBench(const BenchOptions& o, ProcessArgs args) {
  Selection selection = resolveSelection(o.selection, /*allowBaselines=*/true);
  const DType dtype = selection.dtype;
  const std::size_t s = elementBytes(dtype);
  const Sweep sweep = parseSweep(o.sweep, s);
  const std::vector<std::uint64_t>& counts = sweep.counts;
  const int checks = parseRepetitions(o.checks, "check-iters", 0, "checked steps");
  const Format format = o.output.validate();
  o.trace.validate();
  validateBackend(o.selection.backend);
  const BenchSettings settings{sweep.warmup, sweep.iterations, checks, kDefaultLearningRate,
                               o.trace.all, o.trace.delay()};

  return launch(args, o.selection.backend, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "bench");
    auto agreed = selection.agreed();
    for (const auto& v : sweep.agreed()) agreed.push_back(v);
    agreed.push_back({"check-iters", static_cast<std::uint64_t>(checks)});
    for (const auto& v : o.trace.agreed()) agreed.push_back(v);
    ensureRanksAgree(t, agreed);
    ensureDelayedRankExists(settings.delay, t.size());
    const Layout layout = selection.layoutFor(t);
    const std::vector<Case> cases = selection.cases(t, memory, layout);
    Json skipped = Json::array();
    std::size_t runnable = 0;
    for (const auto& c : cases) {
      if (c.paradigm) ++runnable;
      else skipped.push_back({{"paradigm", c.name}, {"reason", c.unavailable}});
    }
    if (runnable == 0)
      throw UsageError("paradigm: nothing this run can do: " +
                       skipped.front()["reason"].get<std::string>());
    ensureExactInputs(layout, dtype);
    ensureFitsInMemory(t, memory, counts.back(), dtype, "maxbytes");
    StepBuffers buffers(memory, counts.back(), dtype);
    TraceSession trace(o.trace, t);

    bool ok = true;
    std::vector<Json> rows;
    {
      Progress progress(t.rank() == 0, counts.size() * runnable);
      for (const std::uint64_t count : counts) {
        for (const auto& c : cases) {
          if (!c.paradigm) continue;
          progress.show(count * s, *c.paradigm, layout);
          const BenchResult r =
              benchmarkStep(*c.paradigm, t, memory, layout, buffers, count, dtype, settings);
          ok = ok && r.ok();
          rows.push_back(benchRow(*c.paradigm, r, layout, count, dtype, settings));
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

    Json doc = documentHeader("bench", t, memory, layout, dtype);
    sweep.describe(doc);
    doc["check_iterations"] = settings.checks;
    doc["rows"] = rows;
    doc["skipped"] = skipped;
    doc["baseline_ratios"] = baselineRatios(rows);
    doc["peak_rss_bytes"] = rss;
    doc["ranks_per_process"] = shared;
    doc["memory_bound_bytes"] = bound;
    doc["memory_ok"] = *std::max_element(rss.begin(), rss.end()) <= bound;
    doc["ok"] = ok;
    if (t.rank() == 0)
      o.output.emit(format, doc, rows,
                    format == Format::kText
                        ? renderText(doc, describeRanks(t.name(), t.size(), layout),
                                     describeForms(cases, layout, s))
                        : "");
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
                          for (const auto& b : defaultBaselines(o->selection.backend.transport))
                            o->selection.paradigms.push_back(b);
                        return runBench(*o, args);
                      }});
}

}  // namespace commsim::cli
