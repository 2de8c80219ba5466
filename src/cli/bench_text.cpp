// `commsim bench --format text`: the sweep as nccl-tests prints it, then the ratios against each
// baseline, the memory check and the verdict.
#include <cmath>
#include <map>
#include <sstream>
#include <utility>

#include "bench_report.hpp"

namespace commsim::cli {

namespace {

std::string ratioText(double r) { return fixed(r, 2) + "x"; }

// "r3 18/20": the rank slowest most often and in how many timed steps, with "!" when it was
// consistently the slowest (a straggler, Timing::straggler).
std::string slowestText(const Timing& t) {
  return "r" + std::to_string(t.mostOftenSlowest) + " " + std::to_string(t.slowestSteps) + "/" +
         std::to_string(t.perStep.size()) + (t.straggler ? " !" : "");
}

std::string checkText(const CountsRow& r) {
  if (r.expected.counted)
    return r.countsOk ? "\u2713"
                      : "\u2717 want " + std::to_string(r.expected.messages) + " / " +
                            std::to_string(r.expected.totalBytes);
  return r.countsOk ? "-" : "\u2717 sent through the counted transport";
}

std::string microseconds(double seconds) { return fixed(seconds * 1e6, 2); }

std::string sweepTable(const BenchReport& report) {
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
  for (const BenchRow& row : report.rows) {
    const CountsRow& r = row.counts;
    const bool counted = r.expected.counted;
    const std::string name = r.paradigm + (r.variant.empty() ? "" : " (" + r.variant + ")");
    table.add({std::to_string(row.sizeBytes()), std::to_string(row.count),
               std::string(dtypeName(row.dtype)), name, microseconds(row.time.avg),
               microseconds(row.time.min), microseconds(row.time.max), microseconds(row.time.p50),
               microseconds(row.time.p99), slowestText(row.time),
               fixed(row.bandwidth.algbwGBps, 3), fixed(row.bandwidth.busbwGBps, 3),
               counted ? std::to_string(r.counters.messagesSent) : "-",
               counted ? std::to_string(r.counters.bytesSent) : "-", checkText(r),
               row.checkedIterations > 0 ? std::to_string(r.wrong) : "-"});
  }
  return table.render();
}

// Ratios against each baseline: at the largest size, and the geometric mean over all sizes.
std::string ratioSummary(const std::vector<RatioRow>& ratios) {
  std::map<std::pair<std::string, std::string>, std::vector<const RatioRow*>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const RatioRow& r : ratios) {
    const auto key = std::make_pair(r.baseline, r.paradigm);
    if (groups[key].empty()) order.push_back(key);
    groups[key].push_back(&r);
  }
  const std::uint64_t largest = groups[order.front()].back()->sizeBytes;
  std::ostringstream os;
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
  constexpr double RatioRow::*fields[] = {&RatioRow::busbw, &RatioRow::busbwBest, &RatioRow::algbw,
                                          &RatioRow::algbwBest};
  for (const auto& key : order) {
    const auto& list = groups[key];
    const RatioRow& last = *list.back();
    const bool atLargest = last.sizeBytes == largest;
    std::vector<std::string> cells = {key.second, key.first};
    for (const auto f : fields) cells.push_back(atLargest ? ratioText(last.*f) : "-");
    for (const auto f : fields) {
      double logSum = 0;
      for (const RatioRow* r : list) logSum += std::log(r->*f);
      cells.push_back(ratioText(std::exp(logSum / static_cast<double>(list.size()))));
    }
    summary.add(cells);
  }
  os << summary.render();
  return os.str();
}

}  // namespace

std::string renderBenchText(const BenchReport& report) {
  std::ostringstream os;
  const Sweep& sweep = report.sweep;
  os << "# commsim bench: gradient synchronisation swept over sizes, per paradigm and baseline\n"
     << "#   " << report.ranks << "\n";
  if (!report.detail.empty()) os << "#   " << report.detail << "\n";
  os << "#   " << dtypeName(report.dtype) << " (s = " << elementBytes(report.dtype) << " B); sizes "
     << sweep.minBytes << " to " << sweep.maxBytes << " bytes, factor " << sweep.factor
     << "; per size and paradigm " << report.checks << " checked, " << sweep.warmup
     << " warm-up and " << sweep.iterations << " timed steps" << sweep.minTimeText() << "\n"
     << "#   time: the slowest rank's, per step; p50, p99: nearest-rank percentiles of the timed "
        "steps; slowest: the rank\n#   slowest most often (r, steps), ! when in at least "
     << static_cast<int>(kStragglerShare * 100) << "% of at least " << kStragglerMinSteps
     << " steps; algbw = p*s/time; busbw = busiest endpoint's bytes/time\n"
     << report.forms << "#\n";
  os << sweepTable(report);
  for (const Skipped& skip : report.skipped)
    os << "#\n# skipped " << skip.paradigm << ": " << skip.reason << '\n';
  if (!report.ratios.empty())
    os << ratioSummary(report.ratios);
  else if (!report.skipped.empty())
    os << "#\n# no baseline ran, so there are no ratios\n";

  os << "#\n# peak RSS per rank (MiB):";
  for (const std::uint64_t b : report.peakRss)
    os << ' ' << fixed(static_cast<double>(b) / (1 << 20), 0);
  const int shared = report.ranksPerProcess;
  os << (shared > 1 ? " (the ranks are threads of one process, so each shows the process peak)" : "")
     << "; bound " << (shared > 1 ? std::to_string(shared) + "*" : "") << "3*p*s + 64 MiB = "
     << fixed(static_cast<double>(report.memoryBound) / (1 << 20), 0)
     << " MiB at the largest p: " << (report.memoryOk ? "within" : "EXCEEDED");
  if (!report.memoryOk && !report.ratios.empty())
    os << " (with a baseline's own buffers; bench/memory.sh measures each paradigm alone)";
  os << '\n';
  os << "#\n# "
     << (report.ok ? "all checks held: every count equals its closed form and every checked "
                     "result is exact"
                   : "CHECK FAILED: a count differs from its closed form or a result is wrong")
     << '\n';
  return os.str();
}

}  // namespace commsim::cli
