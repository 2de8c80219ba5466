// Placeholder: being written (SPEC §10).
#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"

namespace commsim {

std::unique_ptr<Paradigm> makeRecursiveDoubling(const AlgorithmOptions&) {
  throw UsageError("recursive_doubling: not written yet");
}

}  // namespace commsim
