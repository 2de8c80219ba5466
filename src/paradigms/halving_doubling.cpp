// Placeholder: being written (SPEC §10).
#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"

namespace commsim {

std::unique_ptr<Paradigm> makeHalvingDoubling(const AlgorithmOptions&) {
  throw UsageError("halving_doubling: not written yet");
}

}  // namespace commsim
