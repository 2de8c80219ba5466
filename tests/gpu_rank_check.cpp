// One rank's checks of a GPU backend, run under mpirun by gpu_test.cpp: what `commsim table`
// cannot show because it needs two ranks. With one rank: the NCCL communicator's start and end,
// its control plane, a step of every paradigm with n = 1 (no message, exact result, kernels on
// the device), and the ncclAllReduce baseline. With W ranks: the same for n = W.
//
//   gpu_rank_check nccl|mpi
// Prints one line per check on rank 0; exit status 0 when all held, 1 when one failed, 2 when the
// backend could not be made.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/device.hpp"
#include "transport/gpu.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "transport/mpi/mpi_transport.hpp"
#include "transport/transports.hpp"

namespace {

using namespace commsim;

int failures = 0;

void report(Transport& t, const std::string& what, bool ok) {
  std::uint64_t bad[] = {ok ? 0u : 1u};
  t.allreduce(bad, ReduceOp::Max);
  if (t.rank() == 0) std::printf("%s %s\n", bad[0] ? "FAIL" : "ok  ", what.c_str());
  if (bad[0]) ++failures;
}

void checkControlPlane(Transport& t) {
  const int n = t.size();
  std::uint64_t sum[] = {static_cast<std::uint64_t>(t.rank())};
  t.allreduce(sum, ReduceOp::Sum);
  double most[] = {static_cast<double>(t.rank())};
  t.allreduce(most, ReduceOp::Max);
  const std::uint64_t mine[] = {static_cast<std::uint64_t>(t.rank()) * 3};
  std::vector<std::uint64_t> all(static_cast<std::size_t>(n));
  t.allgather(mine, all);
  bool gathered = true;
  for (int r = 0; r < n; ++r) gathered = gathered && all[r] == static_cast<std::uint64_t>(r) * 3;
  t.barrier();
  report(t, "control plane over MPI beside " + std::string(t.name()),
         sum[0] == static_cast<std::uint64_t>(n) * (n - 1) / 2 && most[0] == n - 1.0 && gathered);
}

void checkParadigms(Transport& t, MemorySpace& memory) {
  for (const DType dtype : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    for (const char* name : {"all-to-all", "ring-allreduce"}) {
      const auto paradigm = makeAlgorithm(name);
      const Layout layout = layoutFor(t.size(), {paradigm.get()});
      if (layout.workers > maxExactWorkers(dtype)) continue;
      for (const std::uint64_t count : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{1000003}}) {
        const StepResult r = runCheckedStep(*paradigm, t, memory, layout, count, dtype);
        report(t,
               std::string(name) + " " + std::string(dtypeName(dtype)) + " p=" +
                   std::to_string(count) + ": " + std::to_string(r.counters.messagesSent) +
                   " messages (expected " + std::to_string(r.expected.messages) + "), wrong " +
                   std::to_string(r.wrong),
               r.ok());
      }
    }
  }
}

// Every rank contributes gradientValue(rank, n, i); the sum is n * meanValue(i) exactly.
void checkAllReduceBaseline(Transport& t, MemorySpace& memory) {
  const int n = t.size();
  const std::uint64_t count = 1000003;
  std::vector<float> host(count);
  for (std::uint64_t i = 0; i < count; ++i)
    host[i] = static_cast<float>(gradientValue(t.rank(), n, i));
  Buffer send(memory, count * sizeof(float)), recv(memory, count * sizeof(float));
  memory.fromHost(send.data(), host.data(), send.size());
  t.libraryAllreduceSum(send.data(), recv.data(), count, DType::Float32);
  t.libraryAllreduceSum(recv.data(), recv.data(), 0, DType::Float32);  // empty: nothing to do
  memory.toHost(host.data(), recv.data(), recv.size());
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < count; ++i)
    if (host[i] != static_cast<float>(n * meanValue(i))) ++wrong;
  report(t, "ncclAllReduce baseline: sum of " + std::to_string(n) + " rank(s), wrong " +
                std::to_string(wrong),
         wrong == 0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = argc > 1 ? argv[1] : "";
  if (backend != "nccl" && backend != "mpi") {
    std::fprintf(stderr, "usage: gpu_rank_check nccl|mpi\n");
    return 2;
  }
  preselectDevice();
  MpiSession session(&argc, &argv);
  try {
    const RankBackend gpu = makeBackend(MPI_COMM_WORLD, backend, "device");
    Transport& t = *gpu.transport;
    if (t.rank() == 0)
      std::printf("# %d rank(s): %s, data path %s\n", t.size(), t.detail().c_str(),
                  std::string(t.dataPath()).c_str());
    checkControlPlane(t);
    checkParadigms(t, gpu.memory());
    if (backend == "nccl") checkAllReduceBaseline(t, gpu.memory());
    report(t, "device memory share of the GPU is known", gpu.memory().availableBytes() > 0);
    return failures ? 1 : 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gpu_rank_check: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_rank_check: error: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
    return 2;
  }
}
