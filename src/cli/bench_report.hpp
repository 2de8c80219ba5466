// `commsim bench`'s results as values: a row per size and paradigm, the ratios against each
// baseline, and the whole report. toJson names the fields once; the text renderer reads the values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commsim/bench.hpp"
#include "commsim/step_report.hpp"
#include "harness/step_json.hpp"
#include "output.hpp"
#include "selection.hpp"

namespace commsim::cli {

// One paradigm (or baseline) at one size.
struct BenchRow {
  std::uint64_t count = 0;  // elements
  DType dtype = DType::Float32;
  CountsRow counts;
  int checkedIterations = 0;
  Timing time;
  Bandwidth bandwidth;  // from the average time
  int iterations = 0;  // timed steps: -n, or more under --min-time
  int warmup = 0;

  std::uint64_t sizeBytes() const { return count * elementBytes(dtype); }
};
Json toJson(const BenchRow& row);

// A paradigm against a baseline at one size: busbw ratio, and algbw ratio = baseline time /
// paradigm time, from the average step and from the fastest step of each (best).
struct RatioRow {
  std::string paradigm;
  std::string baseline;
  std::uint64_t sizeBytes = 0;
  double busbw = 0;
  double algbw = 0;
  double busbwBest = 0;
  double algbwBest = 0;
};
Json toJson(const RatioRow& ratio);

// For each baseline of the run, each paradigm's ratios to it, size by size.
std::vector<RatioRow> baselineRatios(const std::vector<BenchRow>& rows);

// A name of the run that this transport cannot run, and why.
struct Skipped {
  std::string paradigm;
  std::string reason;
};

struct BenchReport {
  std::string ranks;   // describeRanks
  std::string detail;  // Transport::detail, may be empty
  std::string forms;   // the closed forms of the run, one "#   " line each
  DType dtype = DType::Float32;
  Sweep sweep;
  int checks = 0;
  std::vector<BenchRow> rows;
  std::vector<Skipped> skipped;
  std::vector<RatioRow> ratios;
  std::vector<std::uint64_t> peakRss;  // per rank
  int ranksPerProcess = 1;
  std::uint64_t memoryBound = 0;
  bool memoryOk = true;
  bool ok = true;
};

// The report as `commsim bench --format text` prints it.
std::string renderBenchText(const BenchReport& report);

}  // namespace commsim::cli
