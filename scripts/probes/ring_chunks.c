/* n ranks in a ring send chunks of S/n to the right and receive from the left, n-1 rounds, as a
 * ring reduce-scatter's messages (no sums): walking through an S-byte buffer as a step does, or
 * reusing one chunk as a lone exchange of the chunk's size does. The fastest of 40 (10 above
 * 8 MiB), per round. Whether a step's chunks find the caches as the step's size or as their own
 * (docs/validation.md, seventh session). */
#include "probe.h"

int main(int argc, char** argv) {
  CHECK_MPI(MPI_Init(&argc, &argv));
  int rank, n;
  CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &n));
  const size_t most = (size_t)64 << 20;
  char *x = filled(most, 1), *y = filled(most, 2);
  const int right = (rank + 1) % n, left = (rank + n - 1) % n;
  for (size_t step = 256 << 10; step <= most; step *= 4) {
    const size_t chunk = step / (size_t)n;
    for (int walk = 1; walk >= 0; --walk) {
      double best = 1e30;
      for (int it = 0; it < (step > (8u << 20) ? 10 : 40); ++it) {
        CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
        const double t0 = MPI_Wtime();
        for (int k = 0; k < n - 1; ++k) {
          const size_t send = walk ? (size_t)((rank - k + n) % n) * chunk : 0;
          const size_t recv = walk ? (size_t)((rank - k - 1 + 2 * n) % n) * chunk : 0;
          CHECK_MPI(MPI_Sendrecv(x + send, (int)chunk, MPI_BYTE, right, 0, y + recv, (int)chunk, MPI_BYTE, left, 0,
                                 MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        }
        double t = MPI_Wtime() - t0;
        CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
        if (t < best) best = t;
      }
      if (rank == 0)
        printf("step %7zu KiB, chunks %6zu KiB, %s: %9.2f us a round\n", step >> 10, chunk >> 10,
               walk ? "walking the step's buffer" : "reusing one chunk        ", best * 1e6 / (n - 1));
    }
  }
  free(x);
  free(y);
  CHECK_MPI(MPI_Finalize());
  return 0;
}
