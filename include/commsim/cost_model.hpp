// The alpha-beta cost model of one synchronisation step (SPEC §4), on a topology.
//
// The model does not keep its own copy of any algorithm: it records the algorithm's messages by
// running its code (commsim/schedule.hpp) and times the recorded rounds on the topology. Each
// round costs the latency of its slowest path, plus the time of the link that takes longest to
// carry the round's bytes (device link, NIC, host NICs, leaf uplinks, oversubscribed core; every
// message of a round in flight together, full duplex), plus gamma times the most bytes any rank
// reduces after it. On one flat link this is each algorithm's own closed form
// (Paradigm::alphaBeta), which tests/model_test.cpp checks for every algorithm.
// docs/predict.md explains each refinement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/paradigm.hpp"
#include "commsim/topology.hpp"

namespace commsim {

struct PredictOptions {
  double gammaSPerByte = 0;  // reduction cost, seconds per byte reduced
  double copySPerByte = 0;   // a local copy in memory (and a scaling, without scaleSPerByte), s/B
  std::vector<CostPiece> gammaPieces;  // smaller passes' costs (Topology::gammaPieces)
  std::vector<CostPiece> copyPieces;
  // A reduction into a third buffer (Topology::gammaSumSPerByte); negative: priced as gamma.
  double gammaSumSPerByte = -1;
  std::vector<CostPiece> gammaSumPieces;
  // Scaling in place after a reduction (Topology::scaleSPerByte); negative: priced as a copy.
  double scaleSPerByte = -1;
  std::vector<CostPiece> scalePieces;
  // The SGD step (Topology::sgdSPerByte); negative: priced as gamma.
  double sgdSPerByte = -1;
  std::vector<CostPiece> sgdPieces;
};

// Workers fill hosts in order, devicesPerHost per host; dedicated servers take the next free
// slots. The layout carries the workers per host so placed (0 when uneven), as a launcher's would.
Layout modelLayout(const Topology& topology, const Paradigm& paradigm, int workers);

struct Prediction {
  std::string paradigm;
  std::string variant;
  int workers = 0;
  std::uint64_t params = 0;
  std::size_t elementBytes = 0;

  double timeS = 0;
  double latencyTermS = 0;    // the alpha part: each round's slowest path, and a shared-memory
                              // receive's work (its latency, the state of what it copies)
  double bandwidthTermS = 0;  // the bytes part: each round's slowest link
  double reduceTermS = 0;     // the gamma part
  double localTermS = 0;      // the algorithm's own copies and scalings in memory (copy, scale)
  double algbwBps = 0;        // p*s / time (0 when time is 0)
  double busbwBps = 0;        // busbwFactor * p*s / time
  double busbwFactor = 0;     // SPEC §3, the algorithm's own
  int rounds = 0;             // dependent rounds of messages, from the recorded schedule
  std::string formula;        // the algorithm's closed form on one flat link (alphaBeta)

  double latencyS = 0;        // the largest alpha any message pays
  double bandwidthBps = 0;    // B the busiest sender effectively gets (0 when nothing moves)
  std::string bottleneck;     // the link that carries the most time: "intra-host", "nic",
                              // "host-nics", "leaf-uplinks", "core"; "none" when no byte moves
  double linkBandwidthBps = 0;  // the raw bandwidth of that link
  int hostsUsed = 0;
};

// Throws UsageError when the topology has fewer slots than the algorithm needs, on bad n or gamma,
// or when the algorithm refuses the layout (Paradigm::validate).
Prediction predict(const Topology& topology, const Paradigm& paradigm, int workers,
                   std::uint64_t params, std::size_t elementBytes,
                   const PredictOptions& options = {});

// The time of one synchronisation of p elements, for many p at once (the buckets of a training
// step, commsim/workload.hpp). Each distinct p is predicted as above and remembered; where that
// would record more than kExactMessages messages in all (a ring of 1024 workers records 2 million
// per size), the model is recorded once, at the largest p, and the time of a smaller p is its
// latency term plus its bandwidth and reduction terms scaled by p / p_largest. Every message of
// these algorithms carries a fixed share of p, so the scaling is exact when p divides evenly and
// off by at most one element per message otherwise.
class BucketCostModel {
 public:
  static constexpr std::uint64_t kExactMessages = 4'000'000;
  BucketCostModel(const Topology& topology, const Paradigm& paradigm, int workers,
                  std::size_t elementBytes, std::span<const std::uint64_t> sizes,
                  const PredictOptions& options = {});
  double seconds(std::uint64_t p);
  bool scaled() const { return scaled_; }
  const Prediction& largest() const { return largest_; }

 private:
  const Topology& topology_;
  const Paradigm& paradigm_;
  int workers_;
  std::size_t elementBytes_;
  PredictOptions options_;
  bool scaled_ = false;
  Prediction largest_;
  std::map<std::uint64_t, double> cache_;
};

}  // namespace commsim
