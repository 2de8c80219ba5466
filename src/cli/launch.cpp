#include "launch.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <thread>

#include "commsim/device.hpp"
#include "commsim/error.hpp"
#include "commsim/inproc.hpp"
#include "core/progress.hpp"
#include "core/size_parse.hpp"
#include "transport/gpu.hpp"
#include "transport/mpi/mpi_transport.hpp"
#include "transport/transports.hpp"

namespace commsim::cli {

namespace {
// More threads than this would be a typo rather than a run this machine can hold.
constexpr int kMaxLocalRanks = 1024;
}  // namespace

CLI::Validator countOption() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        std::string why;
        const auto n = tryParseSize(v, &why);
        if (!n) return why;
        if (*n > static_cast<std::uint64_t>(INT_MAX))
          return "'" + v + "' is too large (allowed: at most " + std::to_string(INT_MAX) + ")";
        v = std::to_string(*n);
        return {};
      },
      "");
}

int parseRepetitions(const std::string& text, const char* name, int least, const char* what) {
  constexpr int kMost = 1000000;
  const bool digits = !text.empty() && text.size() <= 7 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const long value = digits ? std::stol(text) : -1;
  if (value < least || value > kMost)
    throw UsageError(std::string(name) + ": '" + printable(text) + "' is not allowed (allowed: a whole number of " +
                     what + ", " + std::to_string(least) + " to " + std::to_string(kMost) + ")");
  return static_cast<int>(value);
}

CLI::Validator realNumber(std::string allowed) {
  return CLI::Validator(
      [allowed](std::string& v) -> std::string {
        bool ok = !v.empty() && !std::isspace(static_cast<unsigned char>(v[0]));
        if (ok) {
          char* end = nullptr;
          const double x = std::strtod(v.c_str(), &end);
          ok = *end == '\0' && std::isfinite(x);
        }
        return ok ? std::string() : "'" + v + "' is not a finite number (allowed: " + allowed + ")";
      },
      "");
}

int launcherRank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

namespace {
// Set once this process has started MPI: from then on every rank knows the same bad input.
std::atomic<bool> mpiStarted{false};
}  // namespace

bool reportsBadInput() {
  const int rank = launcherRank();
  if (rank == 0) return true;
  if (mpiStarted) return false;
  // Open MPI: this process belongs to program OMPI_MCA_orte_app_num of the MPMD command line,
  // whose sizes OMPI_APP_CTX_NUM_PROCS lists. The first rank of a later program speaks for it.
  const char* app = std::getenv("OMPI_MCA_orte_app_num");
  const char* sizes = std::getenv("OMPI_APP_CTX_NUM_PROCS");
  if (!app || !sizes) return false;
  int first = 0;
  const int index = std::atoi(app);
  char* next = const_cast<char*>(sizes);
  for (int k = 0; k < index && *next; ++k) first += static_cast<int>(std::strtol(next, &next, 10));
  return index > 0 && rank == first;
}

void reportBadInput(const std::string& what) {
  if (!reportsBadInput()) return;
  const int rank = launcherRank();
  const std::string line = printable(what);
  if (rank == 0)
    std::fprintf(stderr, "commsim: %s\n", line.c_str());
  else
    std::fprintf(stderr, "commsim: rank %d: %s\n", rank, line.c_str());
  std::fflush(stderr);
}

void addLaunchOptions(CLI::App* app, LaunchOptions& o) {
  Backend& b = o.backend;
  app->add_option("--backend", b.transport, "Transport between ranks: " + transportNames())
      ->capture_default_str();
  app->add_option("--memory", b.memory,
                  "Where gradient buffers live: host or device (default: host, or device for a "
                  "transport that moves device buffers only, as nccl)");
  app->add_option("--local", o.local,
                  "Run N ranks as threads of this process (no launcher); N counts like mpirun -np")
      ->transform(countOption());
  app->parse_complete_callback([&b] {
    if (b.memory.empty()) b.memory = defaultMemory(b.transport);
  });
  app->add_option("--timeout", o.timeout,
                  "Seconds a rank may make no progress (dead peer, lost network) before the job "
                  "ends with status 2; 0 = never")
      ->capture_default_str();
}

std::string defaultMemory(std::string_view transport) {
  const TransportEntry* t = findTransport(transport);
  return std::string(t ? t->defaultMemory() : "host");
}

double timeoutSeconds(const LaunchOptions& o) { return parseTimeout(o.timeout); }

double parseSeconds(const std::string& t, const char* name, double most, const char* zero) {
  const auto bad = [&](const char* why) {
    return UsageError(std::string(name) + ": '" + t + "' " + why + " (allowed: 0 = " + zero +
                      ", or seconds up to " + std::to_string(std::llround(most)) +
                      " as digits with an optional fraction, e.g. 2.5)");
  };
  const std::size_t dot = t.find('.');
  const std::string whole = t.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : t.substr(dot + 1);
  const auto digits = [](const std::string& d) {
    return d.find_first_not_of("0123456789") == std::string::npos;
  };
  if (whole.empty() || !digits(whole) || !digits(fraction) ||
      (dot != std::string::npos && fraction.empty()))
    throw bad("is not a number of seconds");
  if (whole.size() > 7) throw bad("is too large");
  const double seconds = std::strtod(t.c_str(), nullptr);
  if (seconds > most) throw bad("is too large");
  return seconds;
}

double parseTimeout(const std::string& t) { return parseSeconds(t, "timeout", 1e6, "off"); }

void validateLaunch(const LaunchOptions& o) {
  const Backend& b = o.backend;
  const TransportEntry* transport = findTransport(b.transport);
  if (!transport)
    throw UsageError("backend: '" + b.transport + "' is not known (allowed: " + transportNames() +
                     ")");
  const std::string memory = b.memory.empty() ? std::string(transport->defaultMemory()) : b.memory;
  if (memory != "host" && memory != "device")
    throw UsageError("memory: '" + memory + "' is not known (allowed: host, device)");
  if (o.local < 0 || o.local == 1 || o.local > kMaxLocalRanks)
    throw UsageError("local: " + std::to_string(o.local) + " is not allowed (2 to " +
                     std::to_string(kMaxLocalRanks) + " ranks)");
  timeoutSeconds(o);
  if (!transport->movesHost && memory == "host")
    throw UsageError("memory: host is not allowed with --backend " + b.transport + " (" +
                     std::string(transport->library) + " moves device buffers; allowed: device)");
  if (memory == "host") return;
  // Device buffers: a transport that moves nothing else needs them; otherwise the memory does.
  const std::string what = transport->movesHost ? "memory: device" : "backend: " + b.transport;
  if (!builtWithCuda())
    throw UsageError(what + " needs a CUDA build of commsim (this one has none: nvcc, the CUDA "
                     "toolkit or NCCL was not found when it was configured; allowed here: "
                     "--backend mpi --memory host)");
  if (o.local > 0)
    throw UsageError("local: --local runs ranks as threads on host memory; " + what +
                     " needs ranks started by mpirun or srun, one GPU each");
  const std::string why = cudaUnavailableReason();
  if (!why.empty()) throw UsageError(what + " needs a CUDA device, and this machine has " + why);
}

namespace {

// Attaches this thread to its watchdog slot (if any); on the way out, however it goes, the rank
// counts as finished and the thread is detached again.
class WatchedRank {
 public:
  explicit WatchedRank(ProgressSlot* slot) { progress::attach(slot); }
  ~WatchedRank() {
    progress::finish();
    progress::attach(nullptr);
  }
  WatchedRank(const WatchedRank&) = delete;
  WatchedRank& operator=(const WatchedRank&) = delete;
};

void reportStall(const std::string& line) {
  std::fprintf(stderr, "commsim: %s; aborting the job\n", line.c_str());
  std::fflush(stderr);
}

// MPI is up between MPI_Init and the end of MPI_Finalize: a stall then is ended with MPI_Abort,
// which takes the whole job down; before and after, with this process's exit.
std::atomic<bool> mpiUp{false};

[[noreturn]] void abortStalledMpiJob(const std::string& line) {
  reportStall(line);
  if (mpiUp.load()) {
    // MPI_Abort should not return; if the runtime itself is stuck, leave anyway.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::seconds(10));
      std::_Exit(kExitBadInput);
    }).detach();
    MPI_Abort(MPI_COMM_WORLD, kExitBadInput);
  }
  std::_Exit(kExitBadInput);
}

}  // namespace

int launch(ProcessArgs args, const LaunchOptions& options,
           const std::function<int(Transport&, MemorySpace&)>& body) {
  validateLaunch(options);
  const double timeout = timeoutSeconds(options);
  const Backend& backend = options.backend;
  std::optional<Watchdog> watchdog;

  if (options.local > 0) {
    // One watchdog for all the threads: a stalled world ends this process (status 2).
    if (timeout > 0)
      watchdog.emplace(options.local, 0, timeout, [](const std::string& line) {
        reportStall(line);
        std::_Exit(kExitBadInput);
      });
    std::atomic<int> status{kExitOk};
    runInProcess(options.local, [&](Transport& t) {
      const WatchedRank watched(watchdog ? &watchdog->slot(t.rank()) : nullptr);
      const int s = body(t, hostMemory());
      if (t.rank() == 0) status = s;
    });
    return status;
  }

  const std::string memory =
      backend.memory.empty() ? defaultMemory(backend.transport) : backend.memory;
  if (memory == "device") preselectDevice();  // before MPI_Init, so a CUDA-aware MPI starts on this GPU
  if (timeout > 0) watchdog.emplace(1, launcherRank(), timeout, abortStalledMpiJob);
  const WatchedRank watched(watchdog ? &watchdog->slot(0) : nullptr);
  progress::enter("MPI_Init", {}, true);
  struct MpiDown {
    ~MpiDown() { mpiUp = false; }
  } down;
  mpiStarted = true;
  MpiSession session(args.argc, args.argv);
  mpiUp = true;
  struct Finalizing {
    ~Finalizing() { progress::enter("MPI_Finalize", {}, true); }
  } finalizing;
  int rank = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  try {
    const RankBackend made = makeBackend(MPI_COMM_WORLD, backend.transport, memory);
    return body(*made.transport, made.memory());
  } catch (const UsageError& e) {
    // Every rank has the same error (the checks agree); rank 0 says so while MPI still holds
    // the others in MPI_Finalize.
    reportBadInput(e.what());
    throw BadInputReported{};
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commsim: rank %d: error: %s\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, kExitBadInput);
    return kExitBadInput;
  }
}

}  // namespace commsim::cli
