/* Shared by the probes: MPI calls checked, a monotonic clock every process of a host shares. */
#ifndef COMMSIM_PROBE_H
#define COMMSIM_PROBE_H
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK_MPI(call)                                                     \
  do {                                                                      \
    int rc_ = (call);                                                       \
    if (rc_ != MPI_SUCCESS) {                                               \
      fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #call, rc_); \
      MPI_Abort(MPI_COMM_WORLD, 1);                                         \
    }                                                                       \
  } while (0)

static inline double host_clock(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline char* filled(size_t bytes, int value) {
  char* p = malloc(bytes);
  if (!p) {
    fprintf(stderr, "cannot allocate %zu bytes\n", bytes);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  memset(p, value, bytes);
  return p;
}
#endif
