// Placeholder: being written (SPEC §10).
#include "commsim/algorithms.hpp"
#include "commsim/error.hpp"

namespace commsim {

std::unique_ptr<Paradigm> makeBinaryTree(const AlgorithmOptions&) {
  throw UsageError("binary_tree: not written yet");
}

}  // namespace commsim
