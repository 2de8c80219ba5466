// A piecewise link (topology.hpp's Link with pieces) fitted to measured message times: what
// `commsim calibrate` and `calibrate --from` write (SPEC §13; docs/topologies.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "commsim/topology.hpp"

namespace commsim {

// `sizes` ascending (at least two), `times[i]` the time of one message of sizes[i] bytes. Between
// consecutive sizes the time is the straight line through the two measurements; neighbouring
// intervals merge while one line through the outer two stays within `tolerance` (relative) of
// every measurement between them, so the intervals are where the cost really changes slope. A
// measurement faster than a smaller size's (noise) is raised to it. The last interval is the
// link's own bandwidth and latency and holds beyond the largest size; the others become pieces.
// Throws Error when no bandwidth can be derived (every time equal).
Link fitPiecewiseLink(std::span<const std::uint64_t> sizes, std::span<const double> times,
                      double tolerance = 0.05);

// A memory pass's cost per byte by its size: `times[i]` one pass over sizes[i] bytes (ascending).
// Each size's cost per byte holds from above the previous size up to it; neighbours within
// `tolerance` of each other merge (the larger size's figure kept). The largest size's figure is
// `top` and holds beyond it; the others are the pieces.
struct CostCurve {
  double top = 0;
  std::vector<CostPiece> pieces;
};
CostCurve fitCostCurve(std::span<const std::uint64_t> sizes, std::span<const double> times,
                       double tolerance = 0.1);

}  // namespace commsim
