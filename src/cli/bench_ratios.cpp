// `commsim bench`: each paradigm's bandwidth relative to each baseline of the same run.
#include <map>

#include "bench_report.hpp"
#include "commsim/baseline.hpp"

namespace commsim::cli {

std::vector<RatioRow> baselineRatios(const std::vector<BenchRow>& rows) {
  std::map<std::string, std::map<std::uint64_t, const BenchRow*>> bySize;  // name -> size -> row
  std::vector<std::string> baselines, paradigms;
  for (const BenchRow& row : rows) {
    const std::string& name = row.counts.paradigm;
    auto& sizes = bySize[name];
    if (sizes.empty()) (isBaselineName(name) ? baselines : paradigms).push_back(name);
    sizes[row.sizeBytes()] = &row;
  }
  std::vector<RatioRow> ratios;
  for (const auto& b : baselines) {
    for (const auto& p : paradigms) {
      for (const auto& [size, prow] : bySize[p]) {
        const auto it = bySize[b].find(size);
        if (it == bySize[b].end()) continue;
        const BenchRow& brow = *it->second;
        const double bBus = brow.bandwidth.busbwGBps, pBus = prow->bandwidth.busbwGBps;
        const double bTime = brow.time.avg, pTime = prow->time.avg;
        const double bBest = brow.time.min, pBest = prow->time.min;
        if (bBus <= 0 || pTime <= 0 || pBest <= 0) continue;
        // busbw per unit of algbw: the two rows' busbw factors.
        const double factors = (pBus * pTime) / (bBus * bTime);
        // The best ratios come from the fastest step of each, which other load disturbs least.
        ratios.push_back({p, b, size, pBus / bBus, bTime / pTime, factors * bBest / pBest,
                          bBest / pBest});
      }
    }
  }
  return ratios;
}

Json toJson(const RatioRow& r) {
  Json j;
  j["paradigm"] = r.paradigm;
  j["baseline"] = r.baseline;
  j["size_bytes"] = r.sizeBytes;
  j["busbw_ratio"] = r.busbw;
  j["algbw_ratio"] = r.algbw;
  j["busbw_ratio_best"] = r.busbwBest;
  j["algbw_ratio_best"] = r.algbwBest;
  return j;
}

}  // namespace commsim::cli
