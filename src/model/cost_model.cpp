// The alpha-beta model on a topology: an algorithm's recorded rounds laid on the topology's links.
#include "commsim/cost_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <vector>

#include "commsim/error.hpp"
#include "commsim/schedule.hpp"

namespace commsim {

namespace {

// The links messages can share, in the order ties are reported. host-shared is what all the
// devices of one host share when they copy at once (intra_host.shared_bandwidth).
enum LinkKind { kIntraHost, kNic, kHostNics, kLeafUplinks, kCore, kHostShared, kLinkKinds };
constexpr std::array<std::string_view, kLinkKinds> kLinkNames{
    "intra-host", "nic", "host-nics", "leaf-uplinks", "core", "host-shared"};

// The time each kind of link needs to carry one round's bytes (its busiest instance); the round
// takes the longest of them.
struct Bottleneck {
  std::array<double, kLinkKinds> seconds{};
  double longest() const { return *std::max_element(seconds.begin(), seconds.end()); }
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
    capacity_[kHostShared] = t.intraHost.sharedBandwidthBps;
  }

  int host(long long slot) const { return static_cast<int>(slot / t_.devicesPerHost); }
  int leaf(int h) const {
    return t_.fabric.kind == FabricKind::FatTree ? h / t_.fabric.hostsPerLeaf : h;
  }

  // Devices of one host talk over the intra-host link; hosts over NIC, one switch (a single
  // switch or a crossbar core), or in a fat tree one switch under a leaf and three (leaf, spine,
  // leaf) between leaves. A piecewise link's latency is that of the message's size; on one host,
  // none where the receiver's work carries it (intra_host.latency_shares_host).
  double latency(long long src, long long dst, std::uint64_t bytes) const {
    const int hs = host(src), hd = host(dst);
    if (hs == hd) return t_.intraHostLinkLatencyS(bytes);
    const int hops = (t_.fabric.kind == FabricKind::FatTree && leaf(hs) != leaf(hd)) ? 3 : 1;
    return t_.nic.at(bytes).latencyS + hops * t_.fabric.switchLatencyS;
  }

  double capacity(int link) const { return capacity_[static_cast<std::size_t>(link)]; }

  // The share of the host's shared rate a message of `bytes` takes, as a factor of the link's
  // rate: its piece's, and with `ranks` > 2 of the host's ranks copying at once no more than a
  // pair's exchange of ranks/2 times as many bytes gets. calibrate's pair had two ranks' buffers
  // in the host's caches; a round of k ranks each moving m has as many as a pair moving k/2 x m.
  // (4 ranks on this 2-core machine, every pair exchanging at once: 22 GB/s in all at 1 MiB and
  // 11 at 16 MiB, where one pair alone moved 36 and 20, and a pair 24 at 2 MiB.) Never more than
  // the piece's: below the caches' sizes a piece's rate is its protocol's, not its caches'.
  double sharedFactor(std::uint64_t bytes, int ranks) const {
    const double own = t_.intraHost.at(bytes).bandwidthBps;
    const double crowded =
        ranks > 2 ? t_.intraHost.at(bytes * static_cast<std::uint64_t>(ranks) / 2).bandwidthBps : own;
    return std::min(own, crowded) / t_.intraHost.bandwidthBps;
  }

  // The link that takes longest to carry one round's messages. A device sends and receives on
  // its own links at once (full duplex, all messages of a round in flight together); a process
  // drives one NIC, and a host's processes share its NICs.
  Bottleneck slowest(std::span<const ScheduledMessage> flows, long long slots) {
    const int hosts = host(slots - 1) + 1;
    const int leaves = leaf(hosts - 1) + 1;
    // [direction][index] loads, in seconds of the link's time, for per-device, per-host and
    // per-leaf links (host-shared uses direction 0); kept between rounds and cleared where a round
    // touched them, so a round costs its messages. In seconds rather than bytes because a
    // piecewise link carries messages of different sizes at different rates.
    auto& [intra, nic, hostNics, uplinks, shared] = loads_;
    for (int d = 0; d < 2; ++d) {
      intra[d].resize(static_cast<std::size_t>(slots), 0);
      nic[d].resize(static_cast<std::size_t>(slots), 0);
      hostNics[d].resize(static_cast<std::size_t>(hosts), 0);
      uplinks[d].resize(static_cast<std::size_t>(leaves), 0);
      shared[d].resize(static_cast<std::size_t>(hosts), 0);
    }
    // The ranks of each host that copy in this round (intra-host messages' ends), for
    // sharedFactor; cleared with the loads.
    copying_.resize(static_cast<std::size_t>(hosts), 0);
    inRound_.resize(static_cast<std::size_t>(slots), 0);
    if (capacity(kHostShared) > 0) {
      for (const ScheduledMessage& f : flows) {
        if (host(f.src) != host(f.dst)) continue;
        for (const long long r : {f.src, f.dst})
          if (!inRound_[static_cast<std::size_t>(r)]++) ++copying_[static_cast<std::size_t>(host(r))];
      }
    }
    double core = 0;
    double most[kLinkKinds] = {};
    const auto load = [&](std::vector<double>& v, std::size_t i, double seconds, int link) {
      v[i] += seconds;
      most[link] = std::max(most[link], v[i]);
    };
    for (const ScheduledMessage& f : flows) {
      const auto bytes = static_cast<double>(f.bytes);
      const auto src = static_cast<std::size_t>(f.src), dst = static_cast<std::size_t>(f.dst);
      const int hs = host(f.src), hd = host(f.dst);
      if (hs == hd) {
        const double t = bytes / t_.intraHost.at(f.bytes).bandwidthBps;
        load(intra[0], src, t, kIntraHost);
        load(intra[1], dst, t, kIntraHost);
        // A piece's rate is the link's times a factor; a message of that size takes 1/factor of
        // every capacity it crosses (its protocol's overhead), the host's shared rate too: the
        // semantics of SMPI's bandwidth factors, so that simulate and predict agree. Of the
        // shared rate, with more than two ranks copying, no more than sharedFactor (which SMPI's
        // factors, one per message size for every link of its route, cannot say).
        if (capacity(kHostShared) > 0) {
          const double factor = sharedFactor(f.bytes, copying_[static_cast<std::size_t>(hs)]);
          load(shared[0], static_cast<std::size_t>(hs), bytes / (capacity(kHostShared) * factor),
               kHostShared);
        }
        continue;
      }
      const double factor = t_.nic.at(f.bytes).bandwidthBps / t_.nic.bandwidthBps;
      const auto on = [&](int link) { return bytes / (capacity(link) * factor); };
      load(nic[0], src, on(kNic), kNic);
      load(nic[1], dst, on(kNic), kNic);
      load(hostNics[0], static_cast<std::size_t>(hs), on(kHostNics), kHostNics);
      load(hostNics[1], static_cast<std::size_t>(hd), on(kHostNics), kHostNics);
      if (t_.fabric.kind == FabricKind::FatTree && leaf(hs) != leaf(hd)) {
        load(uplinks[0], static_cast<std::size_t>(leaf(hs)), on(kLeafUplinks), kLeafUplinks);
        load(uplinks[1], static_cast<std::size_t>(leaf(hd)), on(kLeafUplinks), kLeafUplinks);
      }
      if (t_.fabric.kind == FabricKind::Oversubscribed) core += on(kCore);
    }
    most[kCore] = core;
    for (const ScheduledMessage& f : flows) {  // clear what this round loaded
      const auto src = static_cast<std::size_t>(f.src), dst = static_cast<std::size_t>(f.dst);
      const auto hs = static_cast<std::size_t>(host(f.src)), hd = static_cast<std::size_t>(host(f.dst));
      intra[0][src] = intra[1][dst] = nic[0][src] = nic[1][dst] = 0;
      hostNics[0][hs] = hostNics[1][hd] = shared[0][hs] = 0;
      inRound_[src] = inRound_[dst] = copying_[hs] = copying_[hd] = 0;
      uplinks[0][static_cast<std::size_t>(leaf(host(f.src)))] =
          uplinks[1][static_cast<std::size_t>(leaf(host(f.dst)))] = 0;
    }
    Bottleneck b;
    for (int link = 0; link < kLinkKinds; ++link) b.seconds[static_cast<std::size_t>(link)] = most[link];
    return b;
  }

 private:
  const Topology& t_;
  std::array<double, kLinkKinds> capacity_{};
  std::array<std::vector<double>, 2> loads_[5];
  std::vector<int> copying_;  // per host: its ranks copying in the round (slowest)
  std::vector<int> inRound_;  // per slot: whether counted in copying_
};

}  // namespace

Layout modelLayout(const Topology& topology, const Paradigm& paradigm, int workers) {
  Layout layout;
  layout.workers = workers;
  layout.servers = paradigm.dedicatedServers();
  layout.worldSize = workers + layout.servers;
  const int perHost = topology.devicesPerHost;
  layout.workersPerHost = workers <= perHost ? workers : workers % perHost == 0 ? perHost : 0;
  return layout;
}

Prediction predict(const Topology& topology, const Paradigm& paradigm, int workers,
                   std::uint64_t params, std::size_t elementBytes, const PredictOptions& options) {
  if (workers < 1) throw UsageError("workers: " + std::to_string(workers) + " is not allowed (at least 1)");
  if (!(options.gammaSPerByte >= 0) || !std::isfinite(options.gammaSPerByte)) {
    std::ostringstream os;
    os << "gamma: " << options.gammaSPerByte << " is not allowed (seconds per byte, finite, at least 0)";
    throw UsageError(os.str());
  }
  const Layout layout = modelLayout(topology, paradigm, workers);
  const long long slots = layout.worldSize;
  if (slots > topology.slots()) {
    const long long servers = layout.servers;
    std::string need = std::to_string(slots) + " slots";
    if (servers > 0) {
      need += " (" + std::to_string(workers) + " workers + " + std::to_string(servers) +
              " dedicated server" + (servers > 1 ? "s)" : ")");
    }
    throw UsageError(std::to_string(workers) + " workers do not fit " + topology.source + ": " +
                     std::string(paradigm.name()) + " needs " + need +
                     ", the topology holds " + std::to_string(topology.slots()) + " (" +
                     std::to_string(topology.hosts) + (topology.hosts > 1 ? " hosts" : " host") +
                     " x " + std::to_string(topology.devicesPerHost) + " devices)" +
                     (servers > 0 ? "; use fewer workers or a co-located server" : ""));
  }
  paradigm.validate(layout);

  // Every piecewise cost as inside a step over the whole gradient (inStep).
  const std::uint64_t stepBytes = params * elementBytes;
  const PassCost gamma{options.gammaSPerByte, options.gammaPieces};
  const PassCost copy{options.copySPerByte, options.copyPieces};
  MemoryCosts costs;
  costs.reduce = gamma.inStep(stepBytes);
  costs.local = copy.inStep(stepBytes);
  costs.sum = passCostOr(options.gammaSumSPerByte, options.gammaSumPieces, gamma).inStep(stepBytes);
  costs.scale = passCostOr(options.scaleSPerByte, options.scalePieces, copy).inStep(stepBytes);
  costs.sgd = passCostOr(options.sgdSPerByte, options.sgdPieces, gamma).inStep(stepBytes);
  costs.parallelism = topology.memoryParallelism;
  costs.ranksPerHost = topology.devicesPerHost;
  const Topology stepped = inStep(topology, stepBytes);  // its links and surcharges
  costs.writeAfterSend = {stepped.writeAfterSendSPerByte, stepped.writeAfterSendPieces};
  costs.receiveWork = stepped.receiveWork();
  costs.sendWritten = {stepped.sendWrittenSPerByte, stepped.sendWrittenPieces};
  costs.sendUnwritten = {stepped.sendUnwrittenSPerByte, stepped.sendUnwrittenPieces};
  const Schedule schedule = recordSchedule(paradigm, layout, params, elementBytes, costs);
  Network net(stepped);
  Prediction r;
  r.paradigm = paradigm.name();
  r.variant = paradigm.variant(layout);
  r.workers = workers;
  r.params = params;
  r.elementBytes = elementBytes;
  r.busbwFactor = paradigm.busbwFactor(layout);
  r.formula = paradigm.alphaBeta(layout).formula;
  r.rounds = schedule.rounds;
  r.hostsUsed = net.host(slots - 1) + 1;

  std::array<double, kLinkKinds> secondsOn{};
  // B is the bytes the busiest endpoint moves in one direction, round after round, over the time
  // they take: on one flat link, the link's bandwidth.
  double endpointBytes = 0;
  std::vector<std::uint64_t> out(static_cast<std::size_t>(slots)), in(static_cast<std::size_t>(slots));
  for (int round = 0; round < schedule.rounds; ++round) {
    const std::span<const ScheduledMessage> flows(
        schedule.messages.data() + schedule.roundBegin[static_cast<std::size_t>(round)],
        schedule.messages.data() + schedule.roundBegin[static_cast<std::size_t>(round) + 1]);
    double alpha = 0;
    std::uint64_t busiest = 0;
    for (const ScheduledMessage& f : flows) {
      alpha = std::max(alpha, net.latency(f.src, f.dst, f.bytes));
      if (net.host(f.src) == net.host(f.dst))  // the latency of its size, wherever it is paid
        r.latencyS = std::max(r.latencyS, topology.intraHost.at(f.bytes).latencyS);
      busiest = std::max({busiest, out[static_cast<std::size_t>(f.src)] += f.bytes,
                          in[static_cast<std::size_t>(f.dst)] += f.bytes});
    }
    for (const ScheduledMessage& f : flows)
      out[static_cast<std::size_t>(f.src)] = in[static_cast<std::size_t>(f.dst)] = 0;
    endpointBytes += static_cast<double>(busiest);
    // A receive's latency carried as the receiver's work (intra_host.latency_shares_host) is
    // latency too, however the host's ranks shared it.
    r.latencyS = std::max(r.latencyS, alpha);
    r.latencyTermS += alpha + schedule.latencySeconds[static_cast<std::size_t>(round)];
    const Bottleneck b = net.slowest(flows, slots);
    r.bandwidthTermS += b.longest();
    for (std::size_t link = 0; link < secondsOn.size(); ++link) secondsOn[link] += b.seconds[link];
    // Each pass priced at its own size when recorded (the caches hold small ones).
    r.reduceTermS += schedule.reduceSeconds[static_cast<std::size_t>(round)];
    r.localTermS += schedule.localSeconds[static_cast<std::size_t>(round)];
  }
  // The link named is the one that, over the whole step, would need the most time; on a tie the
  // narrower (a process's own NIC before its host's NICs shared with nobody else).
  const auto worst = std::max_element(secondsOn.begin(), secondsOn.end());
  if (*worst > 0) {
    const auto link = static_cast<std::size_t>(worst - secondsOn.begin());
    r.bottleneck = kLinkNames[link];
    r.linkBandwidthBps = net.capacity(static_cast<int>(link));
    r.bandwidthBps = endpointBytes / r.bandwidthTermS;
  } else {
    r.bottleneck = "none";
  }

  const double bytes = static_cast<double>(params) * static_cast<double>(elementBytes);
  r.timeS = r.latencyTermS + r.bandwidthTermS + r.reduceTermS + r.localTermS;
  if (r.timeS > 0) {
    r.algbwBps = bytes / r.timeS;
    r.busbwBps = r.busbwFactor * bytes / r.timeS;
  }
  return r;
}

BucketCostModel::BucketCostModel(const Topology& topology, const Paradigm& paradigm, int workers,
                                 std::size_t elementBytes, std::span<const std::uint64_t> sizes,
                                 const PredictOptions& options)
    : topology_(topology), paradigm_(paradigm), workers_(workers), elementBytes_(elementBytes),
      options_(options) {
  std::vector<std::uint64_t> distinct(sizes.begin(), sizes.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::uint64_t most = distinct.empty() ? 0 : distinct.back();
  largest_ = predict(topology, paradigm, workers, most, elementBytes, options);
  const Layout layout = modelLayout(topology, paradigm, workers);
  const std::uint64_t messages = paradigm.expect(layout, most, elementBytes).messages;
  scaled_ = messages > 0 && distinct.size() > kExactMessages / messages;
  cache_.emplace(most, largest_.timeS);
}

double BucketCostModel::seconds(std::uint64_t p) {
  if (const auto at = cache_.find(p); at != cache_.end()) return at->second;
  double t = 0;
  if (scaled_) {
    const double share = largest_.params ? static_cast<double>(p) / static_cast<double>(largest_.params) : 0;
    t = largest_.latencyTermS +
        (largest_.bandwidthTermS + largest_.reduceTermS + largest_.localTermS) * share;
  } else {
    t = predict(topology_, paradigm_, workers_, p, elementBytes_, options_).timeS;
  }
  cache_.emplace(p, t);
  return t;
}

}  // namespace commsim
