// libFuzzer target for the topology loader (SPEC §5): any text must either load into a topology
// that holds its invariants, or be refused with UsageError; nothing else may escape (a YAML
// exception, a crash, undefined behaviour).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "commsim/error.hpp"
#include "commsim/topology.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "topology_fuzz: %s\n", what);
  std::abort();
}

bool positive(double v) { return std::isfinite(v) && v > 0; }
bool nonNegative(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const commsim::Topology t = commsim::parseTopology(text, "fuzz.yaml");
    if (t.hosts < 1 || t.devicesPerHost < 1 || t.nicsPerHost < 1) fail("a count below 1 was accepted");
    // Links no placement can cross may be absent (zero); present or needed ones are usable.
    const auto usable = [](const commsim::Link& l, bool needed) {
      return nonNegative(l.bandwidthBps) && nonNegative(l.latencyS) && (!needed || positive(l.bandwidthBps));
    };
    if (!usable(t.nic, t.hosts > 1)) fail("an unusable NIC (bandwidth <= 0 or not finite) was accepted");
    if (!usable(t.intraHost, t.devicesPerHost > 1))
      fail("an unusable intra-host link (bandwidth <= 0 or not finite) was accepted");
    if (!(t.fabric.oversubscription >= 1) || !nonNegative(t.fabric.switchLatencyS))
      fail("a fabric with oversubscription < 1 or a negative switch latency was accepted");
  } catch (const commsim::UsageError& e) {
    if (std::string_view(e.what()).rfind("fuzz.yaml", 0) != 0) fail("message does not name the file");
  }
  return 0;
}
