// A topology as a SimGrid platform (XML, DTD 4.1) for `commsim simulate`: one SimGrid host per
// slot, named slot-0, slot-1, ... in slot order, so rank r of a run sits on slot r, as the cost
// model places it. docs/simulate.md describes the translation link by link.
#pragma once

#include <string>

#include "commsim/topology.hpp"

namespace commsim {

// Beyond this many slots a topology that needs explicit routes (hosts with several devices on a
// multi-host fabric) is refused: SimGrid's Full routing lists every ordered pair of slots.
inline constexpr long long kMaxExplicitRouteSlots = 128;

// The platform for every slot of the topology. Throws UsageError for one it cannot express.
std::string simgridPlatform(const Topology& topology);
// A piecewise link (Link::pieces) as SMPI's size-dependent factors, "min_bytes:factor;...", one
// pair for the bandwidth and one for the latency, relative to the link the platform states. SMPI
// applies one set to every message: the intra-host link's on one host, the NIC's otherwise.
// {"0:1", "0:1"} for a link of one line. With stepBytes, the pieces of a step over that many bytes
// per rank (inStep), against the same platform.
struct SmpiFactors {
  std::string bandwidth;
  std::string latency;
};
SmpiFactors simgridFactors(const Topology& topology, std::uint64_t stepBytes = 0);

// The speed of every simulated host. Hosts compute only what is injected (smpi_execute: the
// reductions' --gamma, --delay-rank), which SMPI converts to flops at its smpi/host-speed, so
// smpirun must be given this same speed for an injected second to take one simulated second.
inline constexpr const char* kSimulatedHostSpeed = "1Gf";
inline constexpr double kSimulatedHostFlops = 1e9;  // the same, as a number
// An SMPI hostfile placing `ranks` ranks on slots 0..ranks-1.
std::string simgridHostfile(long long ranks);
std::string slotHostName(long long slot);
// Whether the platform has a host per machine for its ranks' memory passes to share
// (Topology::memoryParallelism with several devices per host), and that host's name.
bool sharesHostMemory(const Topology& topology);
inline std::string memoryHostName(long long host) { return "memory-" + std::to_string(host); }

}  // namespace commsim
