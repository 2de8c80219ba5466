#include "commsim/baseline.hpp"

#include <algorithm>

#include "commsim/error.hpp"

namespace commsim {

// Each transport's file defines the baselines its library offers.
BaselineOffer makeMpiAllreduce(Transport& transport, const MemorySpace& memory,
                               const Layout& layout);
BaselineOffer makeNcclAllreduce(Transport& transport, const Layout& layout);  // nccl/, or no CUDA

const std::vector<std::string>& baselineNames() {
  static const std::vector<std::string> names = {"mpi-allreduce", "nccl-allreduce"};
  return names;
}

bool isBaselineName(std::string_view name) {
  return std::find(baselineNames().begin(), baselineNames().end(), name) != baselineNames().end();
}

std::vector<std::string> defaultBaselines(std::string_view transport) {
  if (transport == "nccl") return {"nccl-allreduce"};
  return {"mpi-allreduce"};
}

BaselineOffer makeBaseline(std::string_view name, Transport& transport, const MemorySpace& memory,
                           const Layout& layout) {
  if (name == "mpi-allreduce") return makeMpiAllreduce(transport, memory, layout);
  if (name == "nccl-allreduce") return makeNcclAllreduce(transport, layout);
  throw UsageError("baseline: '" + std::string(name) +
                   "' is not known (allowed: mpi-allreduce, nccl-allreduce)");
}

}  // namespace commsim
