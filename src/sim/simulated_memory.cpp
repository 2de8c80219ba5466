#include "simulated_memory.hpp"

#include <simgrid/host.h>
#include <smpi/smpi.h>

#include "commsim/error.hpp"

namespace commsim::sim {

void* SimulatedMemory::allocate(std::size_t bytes) {
  void* p = SMPI_SHARED_MALLOC(bytes);
  if (!p) throw Error("simulated memory: cannot map a shared block of " + std::to_string(bytes) + " bytes");
  return p;
}

void SimulatedMemory::release(void* ptr) noexcept { SMPI_SHARED_FREE(ptr); }

void SimulatedMemory::spend(double seconds) {
  // smpi_execute(d) would run d times smpi/host-speed flops (a benchmark figure, 20 kflop/s by
  // default), not d seconds: run d seconds' worth of this host's own speed instead.
  if (seconds > 0) smpi_execute_flops(seconds * sg_host_get_speed(sg_host_self()));
}

void SimulatedMemory::reduce(std::size_t count, DType t) const {
  spend(gamma_.of(count * elementBytes(t)));
}

void SimulatedMemory::add(void*, const void*, std::size_t count, DType t) { reduce(count, t); }

void SimulatedMemory::sgdStep(void*, const void*, std::size_t count, DType t, double, double) {
  reduce(count, t);
}

}  // namespace commsim::sim
