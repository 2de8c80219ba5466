// Baselines: a communication library's own collective on the same buffers (MPI_Allreduce, and on
// GPUs ncclAllReduce), described as a Paradigm so that the one harness checks, warms up and times
// it exactly like the paradigms, in the same sweep, and ratios come from one run (SPEC §3).
//
// A baseline belongs to the transport whose library it calls, so it lives beside that transport,
// never in src/paradigms. Its messages are the library's and never pass Transport::isend: its
// Expectation has counted = false, the output shows no count, and the transport must count none.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/paradigm.hpp"

namespace commsim {

// "mpi-allreduce".
const std::vector<std::string>& baselineNames();
bool isBaselineName(std::string_view name);
// The baselines a run includes unless the user names its list: the collective of the library the
// transport uses ("nccl": nccl-allreduce; otherwise mpi-allreduce).
std::vector<std::string> defaultBaselines(std::string_view transport);

// A library's all-reduce (sum, then the division by n) on the workers: nothing counted, and
// nccl-tests' all-reduce busbw factor 2(n-1)/n, the same as the ring's. Each library supplies
// name() and run().
class LibraryAllreduce : public Paradigm {
 public:
  Expectation expect(const Layout& /*layout*/, std::uint64_t /*p*/,
                     std::size_t /*s*/) const override {
    Expectation e;
    e.counted = false;
    return e;
  }
  double busbwFactor(const Layout& layout) const override {
    const double n = layout.workers;
    return 2.0 * (n - 1.0) / n;
  }
};

struct BaselineOffer {
  std::unique_ptr<Paradigm> paradigm;  // null when this transport cannot run the baseline
  std::string unavailable;             // then: why, in words for the output
};

// The baseline `name` over this transport's ranks and buffers in `memory`, its workers taking
// part as `layout` says. Collective: every rank calls it, in the same order (a baseline may build
// a communicator of the workers). Throws UsageError for an unknown name.
BaselineOffer makeBaseline(std::string_view name, Transport& transport, const MemorySpace& memory,
                           const Layout& layout);

}  // namespace commsim
