#include "launch.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "commsim/device.hpp"
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
  app->add_option("--memory", b.memory,
                  "Where gradient buffers live: host or device (default: device with nccl, else "
                  "host)");
  app->add_option("--local", b.local,
                  "Run N ranks as threads of this process (no launcher); N counts like mpirun -np");
  app->parse_complete_callback([&b] {
    if (b.memory.empty()) b.memory = b.transport == "nccl" ? "device" : "host";
  });
}

void validateBackend(const Backend& b) {
  if (b.transport != "mpi" && b.transport != "nccl")
    throw UsageError("backend: '" + b.transport + "' is not known (allowed: mpi, nccl)");
  const std::string memory = b.memory.empty() ? (b.transport == "nccl" ? "device" : "host") : b.memory;
  if (memory != "host" && memory != "device")
    throw UsageError("memory: '" + memory + "' is not known (allowed: host, device)");
  if (b.local < 0 || b.local == 1)
    throw UsageError("local: " + std::to_string(b.local) + " is not allowed (2 or more ranks)");
  if (b.transport == "nccl" && memory == "host")
    throw UsageError("memory: host is not allowed with --backend nccl (NCCL moves device "
                     "buffers; allowed: device)");
  if (memory == "host") return;
  const std::string what = b.transport == "nccl" ? "backend: nccl" : "memory: device";
  if (!builtWithCuda())
    throw UsageError(what + " needs a CUDA build of commsim (this one has none: nvcc, the CUDA "
                     "toolkit or NCCL was not found when it was configured; allowed here: "
                     "--backend mpi --memory host)");
  if (b.local > 0)
    throw UsageError("local: --local runs ranks as threads on host memory; " + what +
                     " needs ranks started by mpirun or srun, one GPU each");
  const std::string why = cudaUnavailableReason();
  if (!why.empty()) throw UsageError(what + " needs a CUDA device, and this machine has " + why);
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

  const bool onHost = backend.transport == "mpi" && backend.memory != "device";
  if (!onHost) preselectDevice();  // before MPI_Init, so a CUDA-aware MPI starts on this GPU
  MpiSession session(args.argc, args.argv);
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  try {
    if (onHost) {
      MpiTransport transport(MPI_COMM_WORLD);
      return body(transport, hostMemory());
    }
    DeviceBackend gpu = makeDeviceBackend(MPI_COMM_WORLD, backend.transport);
    return body(*gpu.transport, *gpu.memory);
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
