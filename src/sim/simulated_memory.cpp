#include "simulated_memory.hpp"

#include <simgrid/actor.h>
#include <simgrid/exec.h>
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

void SimulatedMemory::spend(double seconds) const {
  if (seconds <= 0) return;
  // smpi_execute(d) would run d times smpi/host-speed flops (a benchmark figure, 20 kflop/s by
  // default), not d seconds: run d seconds' worth of this host's own speed instead.
  const double speed = sg_host_get_speed(sg_host_self());
  if (!memoryHost_) {
    smpi_execute_flops(seconds * speed);
    return;
  }
  // On the machine's memory host, never faster than alone: k passes at once share its speed.
  const sg_exec_t pass = sg_actor_exec_init(seconds * speed);
  sg_exec_set_host(pass, memoryHost_);
  sg_exec_set_bound(pass, speed);
  if (sg_exec_wait(pass) != SG_OK) throw Error("simulated memory: a pass on " +
                                               std::string(sg_host_get_name(memoryHost_)) + " failed");
}

}  // namespace commsim::sim
