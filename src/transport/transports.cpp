#include "transport/transports.hpp"

#include "commsim/error.hpp"

namespace commsim {

// Each transport's directory defines its maker (a build without it, a stand-in that refuses).
RankBackend makeMpiBackend(MPI_Comm comm, std::string_view memory);   // mpi/
RankBackend makeNcclBackend(MPI_Comm comm, std::string_view memory);  // nccl/, or no CUDA

namespace {

#ifdef COMMSIM_HAVE_CUDA
constexpr std::string_view kNeedsCuda;
#else
constexpr std::string_view kNeedsCuda = "a CUDA build of commsim (this one has none)";
#endif

// The first entry is the default --backend.
const TransportEntry kTransports[] = {
    {.name = "mpi",
     .library = "MPI",
     .movesHost = true,
     .missing = {},
     .make = makeMpiBackend,
     .baseline = "mpi-allreduce",
     .baselineNeeds = "the MPI transport",
     .baselineHint = " (run it under mpirun)"},
    {.name = "nccl",
     .library = "NCCL",
     .movesHost = false,
     .missing = kNeedsCuda,
     .make = makeNcclBackend,
     .baseline = "nccl-allreduce",
     .baselineNeeds = "--backend nccl",
     .baselineHint = ""},
};

}  // namespace

std::span<const TransportEntry> transportTable() { return kTransports; }

const TransportEntry* findTransport(std::string_view name) {
  for (const TransportEntry& t : kTransports)
    if (t.name == name) return &t;
  return nullptr;
}

std::string transportNames() {
  std::string out;
  for (const TransportEntry& t : kTransports) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

RankBackend makeBackend(MPI_Comm comm, std::string_view name, std::string_view memory) {
  const TransportEntry* t = findTransport(name);
  if (!t)
    throw UsageError("backend: '" + std::string(name) + "' is not known (allowed: " +
                     transportNames() + ")");
  return t->make(comm, memory);
}

}  // namespace commsim
