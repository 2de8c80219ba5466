// Placeholder: being written (SPEC §10).
#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"

namespace commsim {

std::unique_ptr<Paradigm> makeDirect(const AlgorithmOptions&) {
  throw UsageError("direct: not written yet");
}

}  // namespace commsim
