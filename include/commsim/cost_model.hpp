// The alpha-beta cost model of one synchronisation step (SPEC §4), on a topology.
//
// Each paradigm keeps its closed form; the topology decides alpha and B:
//   all-to-all        T = (n-1)*alpha + (n-1)*p*s/B                + (n-1)*p*s*gamma
//   parameter server  T = 2*(alpha + (n/k)*p*s/B)                   + (n/k)*p*s*gamma
//   (co-located)      T = 2*(alpha + (n-1)*p*s/B)                   + (n-1)*p*s*gamma
//   ring all-reduce   T = 2(n-1)*(alpha + p*s/(n*B))                + (n-1)/n*p*s*gamma
// alpha is the latency of the slowest path any message of the step takes. B is the bandwidth the
// busiest endpoint effectively gets: the step's messages are laid on the topology's links (device
// link, NIC, host NICs, leaf uplinks, oversubscribed core), the link that takes longest to carry
// its bytes sets the bandwidth time, and B is the busiest endpoint's bytes over that time. On one
// flat link this is the link's bandwidth, as in SPEC §4. docs/predict.md explains each refinement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/topology.hpp"

namespace commsim {

enum class ModelParadigm { AllToAll, ParameterServer, RingAllreduce };

// "all-to-all", "parameter-server", "ring-allreduce" (the names of the table command).
std::string_view modelParadigmName(ModelParadigm kind);
// Throws UsageError naming the value and the allowed names.
ModelParadigm parseModelParadigm(std::string_view name);
const std::vector<ModelParadigm>& allModelParadigms();

struct PredictOptions {
  int servers = 1;          // parameter server: k sharded dedicated servers, each owning p/k
  bool colocated = false;   // parameter server on worker 0 instead of a dedicated process
  double gammaSPerByte = 0;  // reduction cost, seconds per byte reduced
};

// Workers fill hosts in order, devicesPerHost per host; dedicated servers take the next free
// slots. Returns how many slots the paradigm needs for n workers.
long long slotsNeeded(ModelParadigm kind, int workers, const PredictOptions& options);

struct Prediction {
  ModelParadigm paradigm = ModelParadigm::AllToAll;
  std::string variant;  // "", "k=2", "co-located"
  int workers = 0;
  std::uint64_t params = 0;
  std::size_t elementBytes = 0;

  double timeS = 0;
  double latencyTermS = 0;    // the alpha part
  double bandwidthTermS = 0;  // the p*s/B part
  double reduceTermS = 0;     // the gamma part
  double algbwBps = 0;        // p*s / time (0 when time is 0)
  double busbwBps = 0;        // busbwFactor * p*s / time
  double busbwFactor = 0;     // SPEC §3: (n-1), n/k, (n-1) co-located, 2(n-1)/n

  double latencyS = 0;        // alpha used
  double bandwidthBps = 0;    // B used (0 when nothing crosses a link)
  std::string bottleneck;     // the link that sets B: "intra-host", "nic", "host-nics",
                              // "leaf-uplinks", "core"; "none" when no message moves
  double linkBandwidthBps = 0;  // the raw bandwidth of that link
  int hostsUsed = 0;
};

// Throws UsageError when the topology has fewer slots than the paradigm needs, or on bad n, k.
Prediction predict(const Topology& topology, ModelParadigm kind, int workers,
                   std::uint64_t params, std::size_t elementBytes,
                   const PredictOptions& options = {});

}  // namespace commsim
