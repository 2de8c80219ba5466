// What other commands need of `commsim simulate`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "output.hpp"

namespace commsim::cli {

// Whether the simulator (commsim-smpi, next to this binary, or $COMMSIM_SMPI) is there: this
// commsim was built with SimGrid.
bool simulatorAvailable();

// One row of simulate's JSON document as `validate` reads it back from the process it started:
// which algorithm, at which p, took how long in simulated time.
struct SimulatedTime {
  std::string paradigm;
  std::uint64_t params = 0;
  double timeS = 0;
};
std::vector<SimulatedTime> simulatedTimes(const Json& document);

}  // namespace commsim::cli
