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

void addBackendOptions(CLI::App* app, Backend& b) {
  app->add_option("--backend", b.transport, "Transport between ranks: mpi or nccl")
      ->capture_default_str();
  app->add_option("--memory", b.memory, "Where gradient buffers live: host or device")
      ->capture_default_str();
  app->add_option("--local", b.local,
                  "Run N ranks as threads of this process (no launcher); N counts like mpirun -np");
}

void validateBackend(const Backend& b) {
  if (b.transport != "mpi" && b.transport != "nccl")
    throw UsageError("backend: '" + b.transport + "' is not known (allowed: mpi, nccl)");
  if (b.memory != "host" && b.memory != "device")
    throw UsageError("memory: '" + b.memory + "' is not known (allowed: host, device)");
  if (b.local < 0 || b.local == 1)
    throw UsageError("local: " + std::to_string(b.local) + " is not allowed (2 or more ranks)");
  if (b.transport == "nccl" || b.memory == "device")
    throw UsageError("backend: nccl and device memory need a CUDA build of commsim (this one has "
                     "none; allowed here: --backend mpi --memory host)");
}

int launch(ProcessArgs args, const Backend& backend,
           const std::function<int(Transport&, MemorySpace&)>& body) {
  validateBackend(backend);
  if (backend.local > 0) {
    std::atomic<int> status{kExitOk};
    runInProcess(backend.local, [&](Transport& t) {
      const int s = body(t, hostMemory());
      if (t.rank() == 0) status = s;
    });
    return status;
  }

  MpiSession session(args.argc, args.argv);
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  try {
    MpiTransport transport(MPI_COMM_WORLD);
    return body(transport, hostMemory());
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
