/* Every pair (2k, 2k+1) exchanges m bytes both ways at once, then rank 0 with each other rank
 * alone: the bytes of all messages over the time from the first start to the last end, on the
 * host's clock (as calibrate's shared rate), the fastest of 20 (6 above 16 MiB); alone, the
 * fastest pair's, as calibrate keeps (with more ranks than cores the kernel may hold rank 0 and
 * one peer on one core, and that pair then runs at half the rate). What a host's memory gives
 * ranks copying at once, by size (docs/validation.md, seventh session). One host only. */
#include "probe.h"

int main(int argc, char** argv) {
  CHECK_MPI(MPI_Init(&argc, &argv));
  int rank, size;
  CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
  if (size % 2) {
    if (rank == 0) fprintf(stderr, "pairs_at_once: an even number of ranks, not %d\n", size);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const size_t most = (size_t)256 << 20;
  char *x = filled(most, 1), *y = filled(most, 2);
  for (size_t bytes = 64 << 10; bytes <= most; bytes *= 4) {
    const int m = (int)bytes;
    double best[2] = {1e30, 1e30};
    /* peer 0: every pair at once (rank ^ 1); peer b > 0: ranks 0 and b alone */
    for (int peer = 0; peer < size; ++peer) {
      const int alone = peer > 0;
      const int partner = alone ? (rank == 0 ? peer : 0) : rank ^ 1;
      const int active = !alone || rank == 0 || rank == peer;
      for (int it = 0; it < (bytes > (16u << 20) ? 6 : 20); ++it) {
        for (int w = 0; w < (it == 0 ? 2 : 1); ++w) {  /* untimed: the pair together, its buffers warm */
          CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
          if (active)
            CHECK_MPI(MPI_Sendrecv(x, m, MPI_BYTE, partner, 0, y, m, MPI_BYTE, partner, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        }
        CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
        double span[2] = {-1e30, -1e30}; /* {-start, end}: the max of both is the earliest start, the latest end */
        if (active) {
          span[0] = -host_clock();
          CHECK_MPI(MPI_Sendrecv(x, m, MPI_BYTE, partner, 0, y, m, MPI_BYTE, partner, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
          span[1] = host_clock();
        }
        CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
        if (span[0] + span[1] < best[alone]) best[alone] = span[0] + span[1];
      }
    }
    if (rank == 0)
      printf("%8zu KiB  all %d ranks at once %10.1f us %6.1f GB/s in all | fastest pair alone %10.1f us %6.1f GB/s in all\n",
             bytes >> 10, size, best[0] * 1e6, (double)size * m / best[0] / 1e9, best[1] * 1e6, 2.0 * m / best[1] / 1e9);
  }
  free(x);
  free(y);
  CHECK_MPI(MPI_Finalize());
  return 0;
}
