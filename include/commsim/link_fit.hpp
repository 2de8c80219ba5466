// A piecewise link (topology.hpp's Link with pieces) fitted to measured message times: what
// `commsim calibrate` and `calibrate --from` write (SPEC §13; docs/topologies.md).
#pragma once

#include <cstdint>
#include <span>

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

}  // namespace commsim
