// What `commsim calibrate` measures, for the commands that calibrate as a step of their own
// (`validate`): the machine's topology file, measured on the ranks at hand.
#pragma once

#include <cstdint>
#include <string>

#include "commsim/memory.hpp"
#include "commsim/transport.hpp"
#include "output.hpp"

namespace commsim::cli {

struct Calibration {
  std::string yaml;     // the topology file, its comments holding every measurement
  Json json;            // the measurements (calibrate --json)
  std::string summary;  // a few lines: the links' latency and bandwidth, gamma
};

// Collective: every rank calls it with the same arguments; the result is filled on rank 0 only.
// `largest` is at least 64 KiB (callers check), the largest message exchanged.
Calibration calibrateRanks(Transport& transport, MemorySpace& memory, std::uint64_t largest,
                           int iterations, const std::string& name);

}  // namespace commsim::cli
