// The alpha-beta model on a topology. Each paradigm is described once as the messages of its steps
// (who sends how much to whom); one routine lays those messages on the topology's links and finds
// the slowest. The closed forms of SPEC §4 come out unchanged, with alpha and B taken from there.
#include "commsim/cost_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <vector>

#include "commsim/error.hpp"

namespace commsim {

namespace {

// One message of a step, in units of the gradient's size p*s.
struct Flow {
  long long src;
  long long dst;
  double units;
};

// A step repeated `repeat` times with the same messages (the ring's 2(n-1) steps are alike).
struct Step {
  std::vector<Flow> flows;
  long long repeat = 1;
};

// A paradigm's step, in the terms of its closed form.
struct Shape {
  std::vector<Step> steps;
  double latencyCount = 0;   // how many alphas: n-1, 2, 2(n-1)
  double endpointUnits = 0;  // p*s units through the busiest endpoint over the whole step
  double reduceUnits = 0;    // p*s units the busiest reducer sums
  double busbwFactor = 0;    // SPEC §3
  std::string variant;
};

Shape allToAll(int n) {
  Shape s;
  Step step;
  step.flows.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(n - 1));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) step.flows.push_back({i, j, 1.0});
  s.steps.push_back(std::move(step));
  s.latencyCount = n - 1;
  s.endpointUnits = n - 1;
  s.reduceUnits = n - 1;
  s.busbwFactor = n - 1;
  return s;
}

// Push to the server(s), then pull the new parameters: two phases, mirror images of each other.
Shape parameterServer(int n, const PredictOptions& o) {
  Shape s;
  Step push, pull;
  if (o.colocated) {
    for (int i = 1; i < n; ++i) {
      push.flows.push_back({i, 0, 1.0});
      pull.flows.push_back({0, i, 1.0});
    }
    s.endpointUnits = 2.0 * (n - 1);
    s.reduceUnits = n - 1;
    s.busbwFactor = n - 1;
    s.variant = "co-located";
  } else {
    const int k = o.servers;
    for (int i = 0; i < n; ++i) {
      for (int shard = 0; shard < k; ++shard) {
        push.flows.push_back({i, n + shard, 1.0 / k});
        pull.flows.push_back({n + shard, i, 1.0 / k});
      }
    }
    s.endpointUnits = 2.0 * n / k;
    s.reduceUnits = static_cast<double>(n) / k;
    s.busbwFactor = static_cast<double>(n) / k;
    if (k > 1) s.variant = "k=" + std::to_string(k);
  }
  s.steps.push_back(std::move(push));
  s.steps.push_back(std::move(pull));
  s.latencyCount = 2;
  return s;
}

// Reduce-scatter then all-gather: 2(n-1) steps, each worker sending p/n to its successor.
Shape ringAllreduce(int n) {
  Shape s;
  Step step;
  if (n > 1)
    for (int i = 0; i < n; ++i) step.flows.push_back({i, (i + 1) % n, 1.0 / n});
  step.repeat = 2LL * (n - 1);
  s.steps.push_back(std::move(step));
  s.latencyCount = 2.0 * (n - 1);
  s.endpointUnits = 2.0 * (n - 1) / n;
  s.reduceUnits = static_cast<double>(n - 1) / n;
  s.busbwFactor = 2.0 * (n - 1) / n;
  return s;
}

// The links messages can share, in the order ties are reported.
enum LinkKind { kIntraHost, kNic, kHostNics, kLeafUplinks, kCore, kLinkKinds };
constexpr std::array<std::string_view, kLinkKinds> kLinkNames{"intra-host", "nic", "host-nics",
                                                              "leaf-uplinks", "core"};

struct Bottleneck {
  double secondsPerUnit = 0;  // time to carry the step's messages, per byte of p*s
  int link = -1;
  double capacityBps = 0;
};

class Network {
 public:
  explicit Network(const Topology& t) : t_(t) {
    capacity_[kIntraHost] = t.intraHost.bandwidthBps;
    capacity_[kNic] = t.nic.bandwidthBps;
    capacity_[kHostNics] = t.hostNicBandwidthBps();
    // A leaf's uplinks are provisioned for its hosts' NICs divided by the taper.
    capacity_[kLeafUplinks] =
        t.fabric.hostsPerLeaf * t.hostNicBandwidthBps() / t.fabric.oversubscription;
    // An oversubscribed core carries all hosts' NIC rate divided by the ratio, shared by every
    // message between hosts; it bites when many hosts send at once, as a real tapered core does.
    capacity_[kCore] = t.hosts * t.hostNicBandwidthBps() / t.fabric.oversubscription;
  }

  int host(long long slot) const { return static_cast<int>(slot / t_.devicesPerHost); }
  int leaf(int h) const {
    return t_.fabric.kind == FabricKind::FatTree ? h / t_.fabric.hostsPerLeaf : h;
  }

  // Devices of one host talk over the intra-host link; hosts over NIC, one switch (a single
  // switch or a crossbar core), or in a fat tree one switch under a leaf and three (leaf, spine,
  // leaf) between leaves.
  double latency(long long src, long long dst) const {
    const int hs = host(src), hd = host(dst);
    if (hs == hd) return t_.intraHost.latencyS;
    const int hops = (t_.fabric.kind == FabricKind::FatTree && leaf(hs) != leaf(hd)) ? 3 : 1;
    return t_.nic.latencyS + hops * t_.fabric.switchLatencyS;
  }

  // The link that takes longest to carry one step's messages. A device sends and receives on
  // its own links at once (full duplex, all messages of a step in flight together); a process
  // drives one NIC, and a host's processes share its NICs.
  Bottleneck slowest(const std::vector<Flow>& flows, long long slots) const {
    const int hosts = host(slots - 1) + 1;
    const int leaves = leaf(hosts - 1) + 1;
    // [direction][index] loads, in units, for per-device, per-host and per-leaf links.
    std::vector<double> intra[2], nic[2], hostNics[2], uplinks[2];
    for (int d = 0; d < 2; ++d) {
      intra[d].assign(static_cast<std::size_t>(slots), 0);
      nic[d].assign(static_cast<std::size_t>(slots), 0);
      hostNics[d].assign(static_cast<std::size_t>(hosts), 0);
      uplinks[d].assign(static_cast<std::size_t>(leaves), 0);
    }
    double core = 0;
    for (const Flow& f : flows) {
      const auto src = static_cast<std::size_t>(f.src), dst = static_cast<std::size_t>(f.dst);
      const int hs = host(f.src), hd = host(f.dst);
      if (hs == hd) {
        intra[0][src] += f.units;
        intra[1][dst] += f.units;
        continue;
      }
      nic[0][src] += f.units;
      nic[1][dst] += f.units;
      hostNics[0][static_cast<std::size_t>(hs)] += f.units;
      hostNics[1][static_cast<std::size_t>(hd)] += f.units;
      if (t_.fabric.kind == FabricKind::FatTree && leaf(hs) != leaf(hd)) {
        uplinks[0][static_cast<std::size_t>(leaf(hs))] += f.units;
        uplinks[1][static_cast<std::size_t>(leaf(hd))] += f.units;
      }
      if (t_.fabric.kind == FabricKind::Oversubscribed) core += f.units;
    }
    Bottleneck b;
    const auto consider = [&](int link, double units) {
      if (units <= 0) return;
      const double s = units / capacity_[link];
      if (s > b.secondsPerUnit) b = {s, link, capacity_[link]};
    };
    const auto considerAll = [&](int link, const std::vector<double>(&loads)[2]) {
      for (const auto& dir : loads)
        consider(link, dir.empty() ? 0 : *std::max_element(dir.begin(), dir.end()));
    };
    considerAll(kIntraHost, intra);
    considerAll(kNic, nic);
    considerAll(kHostNics, hostNics);
    considerAll(kLeafUplinks, uplinks);
    consider(kCore, core);
    return b;
  }

 private:
  const Topology& t_;
  std::array<double, kLinkKinds> capacity_{};
};

}  // namespace

std::string_view modelParadigmName(ModelParadigm kind) {
  switch (kind) {
    case ModelParadigm::AllToAll: return "all-to-all";
    case ModelParadigm::ParameterServer: return "parameter-server";
    case ModelParadigm::RingAllreduce: return "ring-allreduce";
  }
  return "?";
}

const std::vector<ModelParadigm>& allModelParadigms() {
  static const std::vector<ModelParadigm> all{
      ModelParadigm::AllToAll, ModelParadigm::ParameterServer, ModelParadigm::RingAllreduce};
  return all;
}

ModelParadigm parseModelParadigm(std::string_view name) {
  for (ModelParadigm k : allModelParadigms())
    if (modelParadigmName(k) == name) return k;
  throw UsageError("paradigm: '" + std::string(name) +
                   "' is not a paradigm (allowed: all-to-all, parameter-server, ring-allreduce)");
}

long long slotsNeeded(ModelParadigm kind, int workers, const PredictOptions& options) {
  const bool dedicated = kind == ModelParadigm::ParameterServer && !options.colocated;
  return static_cast<long long>(workers) + (dedicated ? options.servers : 0);
}

Prediction predict(const Topology& topology, ModelParadigm kind, int workers,
                   std::uint64_t params, std::size_t elementBytes, const PredictOptions& options) {
  if (workers < 1) throw UsageError("workers: " + std::to_string(workers) + " is not allowed (at least 1)");
  if (options.servers < 1) {
    throw UsageError("servers: " + std::to_string(options.servers) + " is not allowed (at least 1)");
  }
  if (options.colocated && options.servers != 1) {
    throw UsageError("servers: " + std::to_string(options.servers) +
                     " is not allowed with a co-located server (only 1)");
  }
  if (!(options.gammaSPerByte >= 0) || !std::isfinite(options.gammaSPerByte)) {
    std::ostringstream os;
    os << "gamma: " << options.gammaSPerByte << " is not allowed (seconds per byte, finite, at least 0)";
    throw UsageError(os.str());
  }
  const long long slots = slotsNeeded(kind, workers, options);
  if (slots > topology.slots()) {
    const long long servers = slots - workers;
    std::string need = std::to_string(slots) + " slots";
    if (servers > 0) {
      need += " (" + std::to_string(workers) + " workers + " + std::to_string(servers) +
              " dedicated server" + (servers > 1 ? "s)" : ")");
    }
    throw UsageError(std::to_string(workers) + " workers do not fit " + topology.source + ": " +
                     std::string(modelParadigmName(kind)) + " needs " + need +
                     ", the topology holds " + std::to_string(topology.slots()) + " (" +
                     std::to_string(topology.hosts) + (topology.hosts > 1 ? " hosts" : " host") +
                     " x " + std::to_string(topology.devicesPerHost) + " devices)" +
                     (servers > 0 ? "; use fewer workers or a co-located server" : ""));
  }

  Shape shape;
  switch (kind) {
    case ModelParadigm::AllToAll: shape = allToAll(workers); break;
    case ModelParadigm::ParameterServer: shape = parameterServer(workers, options); break;
    case ModelParadigm::RingAllreduce: shape = ringAllreduce(workers); break;
  }

  const Network net(topology);
  Prediction r;
  r.paradigm = kind;
  r.variant = shape.variant;
  r.workers = workers;
  r.params = params;
  r.elementBytes = elementBytes;
  r.busbwFactor = shape.busbwFactor;
  r.hostsUsed = net.host(slots - 1) + 1;

  double secondsPerUnit = 0;
  Bottleneck worst;
  for (const Step& step : shape.steps) {
    for (const Flow& f : step.flows) r.latencyS = std::max(r.latencyS, net.latency(f.src, f.dst));
    const Bottleneck b = net.slowest(step.flows, slots);
    secondsPerUnit += static_cast<double>(step.repeat) * b.secondsPerUnit;
    if (b.secondsPerUnit > worst.secondsPerUnit) worst = b;
  }
  if (worst.link >= 0) {
    r.bottleneck = kLinkNames[static_cast<std::size_t>(worst.link)];
    r.linkBandwidthBps = worst.capacityBps;
    r.bandwidthBps = shape.endpointUnits / secondsPerUnit;
  } else {
    r.bottleneck = "none";
  }

  const double bytes = static_cast<double>(params) * static_cast<double>(elementBytes);
  r.latencyTermS = shape.latencyCount * r.latencyS;
  r.bandwidthTermS = secondsPerUnit * bytes;
  r.reduceTermS = shape.reduceUnits * bytes * options.gammaSPerByte;
  r.timeS = r.latencyTermS + r.bandwidthTermS + r.reduceTermS;
  if (r.timeS > 0) {
    r.algbwBps = bytes / r.timeS;
    r.busbwBps = shape.busbwFactor * bytes / r.timeS;
  }
  return r;
}

}  // namespace commsim
