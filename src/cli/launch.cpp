#include "launch.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "commsim/error.hpp"
#include "commsim/inproc.hpp"
#include "commsim/mpi_transport.hpp"

namespace commsim::cli {

int launcherRank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

bool underLauncher() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(var)) return true;
  return false;
}

int launch(ProcessArgs args, int localRanks, const std::function<int(Transport&)>& body) {
  if (localRanks > 0) {
    std::atomic<int> status{kExitOk};
    runInProcess(localRanks, [&](Transport& t) {
      const int s = body(t);
      if (t.rank() == 0) status = s;
    });
    return status;
  }

  MpiSession session(args.argc, args.argv);
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  try {
    MpiTransport transport(MPI_COMM_WORLD);
    return body(transport);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commsim: rank %d: error: %s\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, kExitBadInput);
    return kExitBadInput;
  }
}

}  // namespace commsim::cli
