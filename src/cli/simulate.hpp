// What other commands need of `commsim simulate`.
#pragma once

namespace commsim::cli {

// Whether the simulator (commsim-smpi, next to this binary, or $COMMSIM_SMPI) is there: this
// commsim was built with SimGrid.
bool simulatorAvailable();

}  // namespace commsim::cli
