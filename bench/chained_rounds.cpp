// How fast the ranks of one machine move a ring's round, three ways: a round alone after a barrier
// (what calibrate times: the same buffers, every rank at once), n-1 rounds back to back on the same
// buffers, and n-1 rounds as an allgather runs them, each sending on the chunk the round before
// received, so every round reads and writes memory the rounds before did not touch. The cost model
// prices a round from the first kind; docs/validation.md shows where the third differs.
//
//   scripts/mpirun.sh -np 4 build/bench/bench_chained_rounds 1M 16M 64M [--iters 20]
//
// SIZE is the gradient, p*s bytes (K/M/G: powers of 1024); each round moves SIZE / n from every
// rank to the next. Per round: the time from the first rank's start to the last rank's end on the
// host's monotonic clock (its ranks share it; MPI_Wtime need not be common), the fastest and the
// median of --iters, and the rate of the median round, n * chunk bytes over its time. Every rank
// must be on one host. Exit status 2 on bad arguments or ranks on several hosts.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "commsim/error.hpp"
#include "core/size_parse.hpp"
#include "transport/mpi/mpi_transport.hpp"

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum class Kind { Alone, SameBuffers, Forwarding };
const char* name(Kind k) {
  switch (k) {
    case Kind::Alone: return "one round alone";
    case Kind::SameBuffers: return "n-1 rounds, same buffers";
    case Kind::Forwarding: return "n-1 rounds, forwarding";
  }
  return "";
}

// Seconds per round of each of `iters` repetitions, after one untimed.
std::vector<double> timeRounds(Kind kind, std::vector<char>& gradient, std::vector<char>& spare,
                               std::uint64_t chunk, int iters) {
  int rank = 0, n = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  COMMSIM_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &n));
  const int to = (rank + 1) % n, from = (rank + n - 1) % n;
  const int rounds = kind == Kind::Alone ? 1 : n - 1;
  const auto at = [&](int c) { return gradient.data() + static_cast<std::uint64_t>((c % n + n) % n) * chunk; };
  std::vector<double> perRound;
  for (int it = 0; it <= iters; ++it) {
    COMMSIM_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double span[2] = {-now(), 0};  // {-start, end}: their maxima are the first start and last end
    for (int k = 0; k < rounds; ++k) {
      // Forwarding: round k sends chunk rank-k (received in round k-1) and receives chunk rank-k-1.
      char* send = kind == Kind::Forwarding ? at(rank - k) : gradient.data();
      char* recv = kind == Kind::Forwarding ? at(rank - k - 1) : spare.data();
      MPI_Request r[2];
      COMMSIM_MPI_CHECK(MPI_Isend(send, static_cast<int>(chunk), MPI_BYTE, to, 0, MPI_COMM_WORLD, &r[0]));
      COMMSIM_MPI_CHECK(MPI_Irecv(recv, static_cast<int>(chunk), MPI_BYTE, from, 0, MPI_COMM_WORLD, &r[1]));
      COMMSIM_MPI_CHECK(MPI_Waitall(2, r, MPI_STATUSES_IGNORE));
    }
    span[1] = now();
    COMMSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
    if (it > 0) perRound.push_back((span[0] + span[1]) / rounds);
  }
  std::sort(perRound.begin(), perRound.end());
  return perRound;
}

int run(int argc, char** argv) {
  int rank = 0, n = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  COMMSIM_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &n));
  std::vector<std::uint64_t> sizes;
  int iters = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) {
      const std::uint64_t v = commsim::parseSize(argv[++i], "--iters");
      if (v < 1 || v > 100000) throw commsim::UsageError("--iters: '" + std::to_string(v) + "' is not from 1 to 100000");
      iters = static_cast<int>(v);
    } else {
      const std::uint64_t size = commsim::parseSize(a, "SIZE");
      const std::uint64_t chunk = size / static_cast<std::uint64_t>(n);
      if (chunk == 0 || size % static_cast<std::uint64_t>(n) != 0 || chunk > 1ULL << 30)
        throw commsim::UsageError("SIZE: '" + a + "' is not a positive multiple of the " + std::to_string(n) +
                                  " ranks with at most 1 GiB per rank's chunk");
      sizes.push_back(size);
    }
  }
  if (sizes.empty()) throw commsim::UsageError("no SIZE given (usage: bench_chained_rounds SIZE... [--iters N])");
  MPI_Comm local;
  COMMSIM_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local));
  int onHost = 0;
  COMMSIM_MPI_CHECK(MPI_Comm_size(local, &onHost));
  COMMSIM_MPI_CHECK(MPI_Comm_free(&local));
  if (onHost != n) throw commsim::UsageError("the ranks span several hosts (" + std::to_string(onHost) + " of " +
                                             std::to_string(n) + " on rank " + std::to_string(rank) +
                                             "'s): the rounds are timed on one host's clock");
  if (rank == 0)
    std::printf("# %d ranks on one host; per round, the first start to the last end, %d repetitions\n"
                "# %12s %12s  %-26s %12s %12s %10s\n",
                n, iters, "size", "chunk", "rounds", "fastest(us)", "median(us)", "GB/s");
  for (const std::uint64_t size : sizes) {
    const std::uint64_t chunk = size / static_cast<std::uint64_t>(n);
    std::vector<char> gradient(size, 1), spare(chunk, 2);
    for (const Kind kind : {Kind::Alone, Kind::SameBuffers, Kind::Forwarding}) {
      const std::vector<double> t = timeRounds(kind, gradient, spare, chunk, iters);
      const double median = t[t.size() / 2];
      if (rank == 0)
        std::printf("  %12llu %12llu  %-26s %12.1f %12.1f %10.2f\n", static_cast<unsigned long long>(size),
                    static_cast<unsigned long long>(chunk), name(kind), t.front() * 1e6, median * 1e6,
                    static_cast<double>(n) * static_cast<double>(chunk) / median / 1e9);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    COMMSIM_MPI_CHECK(MPI_Init(&argc, &argv));
    int status = 0;
    try {
      status = run(argc, argv);
    } catch (const commsim::UsageError& e) {  // the same on every rank: all report it and finish
      int rank = 0;
      COMMSIM_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
      if (rank == 0) std::fprintf(stderr, "bench_chained_rounds: %s\n", e.what());
      status = 2;
    }
    COMMSIM_MPI_CHECK(MPI_Finalize());
    return status;
  } catch (const commsim::Error& e) {  // a failed MPI call, on this rank alone: end the job
    std::fprintf(stderr, "bench_chained_rounds: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
}
