// Placeholder: being written (SPEC §10).
#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"

namespace commsim {

std::unique_ptr<Paradigm> makeHierarchicalRing(const AlgorithmOptions&) {
  throw UsageError("hierarchical_ring: not written yet");
}

}  // namespace commsim
