/* Ranks 0 and 1 exchange m bytes both ways (MPI_Sendrecv), the others wait in the barrier:
 * the fastest of 30 per size, at sizes between calibrate's factors of 4, to see where a host's
 * exchange rate falls (docs/validation.md, seventh session). */
#include "probe.h"

int main(int argc, char** argv) {
  CHECK_MPI(MPI_Init(&argc, &argv));
  int rank, size;
  CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
  const size_t kib[] = {64, 128, 256, 384, 512, 640, 768, 896, 1024, 1536, 2048, 4096};
  const size_t most = 4096 << 10;
  char *x = filled(most, 1), *y = filled(most, 2);
  for (size_t s = 0; s < sizeof kib / sizeof kib[0]; ++s) {
    const int m = (int)(kib[s] << 10);
    double best = 1e30;
    for (int it = 0; it < 30; ++it) {
      CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
      if (rank > 1) continue;
      for (int w = 0; w < 2; ++w)
        CHECK_MPI(MPI_Sendrecv(x, m, MPI_BYTE, rank ^ 1, 0, y, m, MPI_BYTE, rank ^ 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
      const double t0 = MPI_Wtime();
      CHECK_MPI(MPI_Sendrecv(x, m, MPI_BYTE, rank ^ 1, 0, y, m, MPI_BYTE, rank ^ 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
      const double t = MPI_Wtime() - t0;
      if (t < best) best = t;
    }
    if (rank == 0) printf("%6zu KiB  %9.2f us  %6.1f GB/s each way\n", kib[s], best * 1e6, m / best / 1e9);
  }
  free(x);
  free(y);
  CHECK_MPI(MPI_Finalize());
  return 0;
}
