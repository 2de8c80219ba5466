#include "model/link_fit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "commsim/error.hpp"

namespace commsim {

namespace {

// The line through two measurements: latency (its value at 0 bytes) and bandwidth. Where that
// latency would be negative (noise), the line from 0 through the upper one: the upper measurement
// stays exact, and the lower belongs to the interval below, where it is exact too.
LinkCost line(double m0, double t0, double m1, double t1) {
  const double perByte = (t1 - t0) / (m1 - m0);
  const double latency = t0 - perByte * m0;
  if (latency < 0) return {m1 / t1, 0};
  return {1 / perByte, latency};
}

double timeOn(const LinkCost& c, double m) { return c.latencyS + m / c.bandwidthBps; }

}  // namespace

Link fitPiecewiseLink(std::span<const std::uint64_t> sizes, std::span<const double> times,
                      double tolerance) {
  COMMSIM_ENFORCE(sizes.size() >= 2 && sizes.size() == times.size(), "fitPiecewiseLink: sizes");
  // A time below a smaller size's is taken as that one, raised by a part in 10^4: the fit then
  // sees a (steep) line through a flat stretch and checks it as any other. Left equal, a flat
  // point was skipped and the interval closed past it without its line being checked there
  // (CalibrateUnderMpirun once found 16 KiB, timed faster than 4 KiB, fitted 9% long).
  constexpr double kRise = 1e-4;
  std::vector<double> m, t, floor;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    m.push_back(static_cast<double>(sizes[i]));
    floor.push_back(std::max(times[i], floor.empty() ? 0.0 : floor.back()));
    t.push_back(std::max(times[i], t.empty() ? 0.0 : t.back() * (1 + kRise)));
  }
  // Breakpoints: indices of the measurements where one interval ends and the next begins.
  std::vector<std::size_t> at{0};
  std::size_t begin = 0;
  for (std::size_t end = 1; end < m.size(); ++end) {
    if (t[end] <= t[begin]) continue;  // no slope yet (times of 0, which the rise leaves flat)
    const bool last = end + 1 == m.size();
    if (last) break;
    // Would one line from `begin` to end+1 still hold every measurement in between?
    bool fits = t[end + 1] > t[begin];
    if (fits) {
      const LinkCost c = line(m[begin], t[begin], m[end + 1], t[end + 1]);
      for (std::size_t k = begin + 1; k <= end && fits; ++k)
        fits = std::abs(timeOn(c, m[k]) / t[k] - 1) <= tolerance;
    }
    if (!fits) {
      at.push_back(end);
      begin = end;
    }
  }
  at.push_back(m.size() - 1);
  if (!(floor.back() > floor[at[at.size() - 2]]))
    throw Error("the largest messages took no longer than smaller ones: no bandwidth to derive");

  Link link;
  for (std::size_t i = 0; i + 1 < at.size(); ++i) {
    const LinkCost c = line(m[at[i]], t[at[i]], m[at[i + 1]], t[at[i + 1]]);
    if (i + 2 == at.size()) {
      link.bandwidthBps = c.bandwidthBps;
      link.latencyS = c.latencyS;
    } else {
      link.pieces.push_back({sizes[at[i + 1]], c});
    }
  }
  return link;
}

CostCurve fitCostCurve(std::span<const std::uint64_t> sizes, std::span<const double> times,
                       double tolerance) {
  COMMSIM_ENFORCE(!sizes.empty() && sizes.size() == times.size(), "fitCostCurve: sizes");
  std::vector<CostPiece> all;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    all.push_back({sizes[i], times[i] / static_cast<double>(sizes[i])});
  // From the largest down: a piece joins the one above while their costs stay within tolerance.
  std::vector<CostPiece> kept{all.back()};
  for (std::size_t i = all.size() - 1; i-- > 0;) {
    if (std::abs(all[i].sPerByte / kept.back().sPerByte - 1) <= tolerance) continue;
    kept.push_back(all[i]);
  }
  CostCurve c;
  c.top = kept.front().sPerByte;
  for (std::size_t i = kept.size(); i-- > 1;) c.pieces.push_back(kept[i]);
  return c;
}

}  // namespace commsim
