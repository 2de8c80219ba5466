// Topology -> SimGrid platform. The links and latencies are laid out so that SimGrid's routes
// carry the same alpha and the same bottlenecks as the cost model (cost_model.cpp):
//   - one device link per slot, full duplex (SPLITDUPLEX: each direction its own capacity);
//   - every route's latencies add up to the model's alpha for that pair of slots;
//   - shared capacities (host NICs, leaf uplinks, an oversubscribed core) are SHARED links that
//     every flow crossing them divides, as the model divides their bytes.
#include "commsim/platform.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include "commsim/error.hpp"

namespace commsim {

namespace {

std::string bw(double bytesPerSecond) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17gBps", bytesPerSecond);
  return buf;
}

std::string lat(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17gs", seconds);
  return buf;
}

const char* kHeader =
    "<?xml version='1.0'?>\n"
    "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
    "<platform version=\"4.1\">\n";

constexpr const char* kSpeed = kSimulatedHostSpeed;

// XML comments may not contain "--".
std::string commentSafe(std::string text) {
  for (std::size_t i = text.find("--"); i != std::string::npos; i = text.find("--", i))
    text.replace(i, 2, "-_");
  return text;
}

// The link SMPI's size factors apply to (simgridFactors) and what the platform states for it: the
// fastest rate and the longest latency of its lines, so every factor is at most 1 for bandwidth
// (SMPI bounds a flow by factor x the link, and a link cannot carry more than it states) and any
// latency can be reached from a non-zero one.
const Link& factorLink(const Topology& t) { return t.hosts == 1 ? t.intraHost : t.nic; }

LinkCost reference(const Link& l) {
  LinkCost ref{l.bandwidthBps, l.latencyS};
  for (const LinkPiece& p : l.pieces) {
    ref.bandwidthBps = std::max(ref.bandwidthBps, p.cost.bandwidthBps);
    ref.latencyS = std::max(ref.latencyS, p.cost.latencyS);
  }
  return ref;
}

// How much the platform scales the factor link's capacities: a message of the top line has factor
// link/reference, and takes 1/factor of every capacity it crosses, so capacities shared with it
// (a host's shared rate, NIC pools, uplinks, a core) are stated that much larger.
double capacityScale(const Topology& t) {
  const Link& l = factorLink(t);
  return reference(l).bandwidthBps / l.bandwidthBps;
}

// The topology as SimGrid's links carry it: with intra_host.latency_shares_host, one host's links
// have no latency (the receiver's work carries it: Topology::receiveWork, SimulatedMemory).
Topology onLinks(const Topology& t) {
  if (!t.intraHost.latencySharesHost) return t;
  Topology links = t;
  links.intraHost.latencyS = 0;
  for (LinkPiece& p : links.intraHost.pieces) p.cost.latencyS = 0;
  return links;
}

std::string radical(long long slots) { return "0-" + std::to_string(slots - 1); }

// One cluster zone: every slot has a private full-duplex link (half the latency each way, so a
// route of up + down costs the model's alpha) and an oversubscribed core is a shared backbone.
std::string flatCluster(const Topology& t) {
  std::ostringstream os;
  const bool oneHost = t.hosts == 1;
  const Link& link = oneHost ? t.intraHost : t.nic;
  // A non-blocking switch adds its latency and never limits: folded into the device links, so no
  // backbone constraint is shared by every flow (which would cost SimGrid O(flows) per event).
  const bool backbone = !oneHost && t.fabric.kind == FabricKind::Oversubscribed;
  const double scale = capacityScale(t);
  const double latency =
      reference(link).latencyS + (oneHost || backbone ? 0 : t.fabric.switchLatencyS);
  os << "  <!-- " << (oneHost ? "one host: device links through a crossbar"
                              : "one device per host: NIC links into the switch fabric")
     << " -->\n";
  os << "  <cluster id=\"fabric\" prefix=\"slot-\" suffix=\"\" radical=\""
     << radical(t.slots()) << "\" speed=\"" << kSpeed << "\" bw=\"" << bw(link.bandwidthBps * scale)
     << "\" lat=\"" << lat(latency / 2) << "\" sharing_policy=\"SPLITDUPLEX\"";
  if (oneHost && t.intraHost.sharedBandwidthBps > 0) {
    // What the host's devices share when they copy at once: a backbone every flow crosses.
    os << " bb_bw=\"" << bw(t.intraHost.sharedBandwidthBps * scale)
       << "\" bb_sharing_policy=\"SHARED\" bb_lat=\"0s\"";
  }
  if (backbone) {
    // The core carries hosts * NIC rate / ratio in all, shared by every message between hosts.
    os << " bb_bw=\"" << bw(t.hosts * t.hostNicBandwidthBps() / t.fabric.oversubscription * scale)
       << "\" bb_sharing_policy=\"SHARED\" bb_lat=\"" << lat(t.fabric.switchLatencyS) << "\"";
  }
  os << "/>\n";
  return os.str();
}

// SimGrid's two-level fat tree: leaves of hosts_per_leaf hosts, each with hosts_per_leaf/ratio
// uplinks, one to each spine. All its links share one bandwidth and latency: the NIC's, and a
// latency chosen so the four links between leaves add up to the model's NIC + 3 switches.
std::string fatTreeCluster(const Topology& t) {
  const int perLeaf = t.fabric.hostsPerLeaf;
  const int leaves = (t.hosts + perLeaf - 1) / perLeaf;
  const int uplinks = std::max(1, static_cast<int>(std::lround(perLeaf / t.fabric.oversubscription)));
  std::ostringstream os;
  os << "  <!-- fat tree: " << leaves << " leaves of " << perLeaf << " hosts, " << uplinks
     << " spines -->\n";
  os << "  <cluster id=\"fabric\" topology=\"FAT_TREE\" topo_parameters=\"2;" << perLeaf
     << "," << leaves << ";1," << uplinks << ";1,1\" prefix=\"slot-\" suffix=\"\" radical=\""
     << radical(static_cast<long long>(leaves) * perLeaf) << "\" speed=\"" << kSpeed << "\" bw=\""
     << bw(t.nic.bandwidthBps * capacityScale(t)) << "\" lat=\""
     << lat((reference(t.nic).latencyS + 3 * t.fabric.switchLatencyS) / 4)
     << "\" sharing_policy=\"SPLITDUPLEX\"/>\n";
  return os.str();
}

// Hosts of several devices on a multi-host fabric: explicit links and a route for every ordered
// pair of slots (SimGrid Full routing), link for link the model's network.
std::string explicitRoutes(const Topology& t) {
  const long long slots = t.slots();
  if (slots > kMaxExplicitRouteSlots)
    throw UsageError(t.source + ": " + std::to_string(slots) +
                     " slots of multi-device hosts are too many to export (every pair of slots is "
                     "a route; allowed: up to " + std::to_string(kMaxExplicitRouteSlots) + ")");
  const auto hostOf = [&](long long s) { return static_cast<int>(s / t.devicesPerHost); };
  const bool fatTree = t.fabric.kind == FabricKind::FatTree;
  const auto leafOf = [&](int h) { return fatTree ? h / t.fabric.hostsPerLeaf : 0; };
  // A host's processes share its NICs only when it has fewer NICs than devices.
  const bool hostPool = t.nicsPerHost < t.devicesPerHost;
  // The NIC's pieces are SMPI's factors for every message here, the intra-host ones included (SMPI
  // has one set): the NIC's capacities are scaled to the fastest of its lines.
  const double scale = capacityScale(t);
  std::ostringstream os;
  os << "  <zone id=\"fabric\" routing=\"Full\">\n";
  for (long long s = 0; s < slots; ++s) os << "    <host id=\"" << slotHostName(s) << "\" speed=\"" << kSpeed << "\"/>\n";
  for (long long s = 0; s < slots; ++s) {
    os << "    <link id=\"intra-" << s << "\" bandwidth=\"" << bw(t.intraHost.bandwidthBps)
       << "\" latency=\"" << lat(t.intraHost.latencyS / 2) << "\" sharing_policy=\"SPLITDUPLEX\"/>\n";
    os << "    <link id=\"nic-" << s << "\" bandwidth=\"" << bw(t.nic.bandwidthBps * scale)
       << "\" latency=\"" << lat(reference(t.nic).latencyS / 2) << "\" sharing_policy=\"SPLITDUPLEX\"/>\n";
  }
  if (hostPool)
    for (int h = 0; h < t.hosts; ++h)
      os << "    <link id=\"host-nics-" << h << "\" bandwidth=\"" << bw(t.hostNicBandwidthBps() * scale)
         << "\" latency=\"0s\" sharing_policy=\"SPLITDUPLEX\"/>\n";
  if (fatTree)
    for (int l = 0; l <= leafOf(t.hosts - 1); ++l)
      os << "    <link id=\"leaf-uplinks-" << l << "\" bandwidth=\""
         << bw(t.fabric.hostsPerLeaf * t.hostNicBandwidthBps() / t.fabric.oversubscription * scale)
         << "\" latency=\"0s\" sharing_policy=\"SPLITDUPLEX\"/>\n";
  const double core = scale * (t.fabric.kind == FabricKind::Oversubscribed
                                   ? t.hosts * t.hostNicBandwidthBps() / t.fabric.oversubscription
                                   : t.hostNicBandwidthBps());
  const char* corePolicy = t.fabric.kind == FabricKind::Oversubscribed ? "SHARED" : "FATPIPE";
  os << "    <link id=\"switch\" bandwidth=\"" << bw(core) << "\" latency=\""
     << lat(t.fabric.switchLatencyS) << "\" sharing_policy=\"" << corePolicy << "\"/>\n";
  if (fatTree)  // leaf, spine, leaf: two more switches between leaves
    os << "    <link id=\"spine\" bandwidth=\"" << bw(t.hostNicBandwidthBps() * scale) << "\" latency=\""
       << lat(2 * t.fabric.switchLatencyS) << "\" sharing_policy=\"FATPIPE\"/>\n";

  const auto ctn = [&](const std::string& id, const char* dir) {
    os << "<link_ctn id=\"" << id << "\"" << (dir ? std::string(" direction=\"") + dir + "\"" : "")
       << "/>";
  };
  for (long long a = 0; a < slots; ++a) {
    for (long long b = 0; b < slots; ++b) {
      if (a == b) continue;
      os << "    <route src=\"" << slotHostName(a) << "\" dst=\"" << slotHostName(b)
         << "\" symmetrical=\"NO\">";
      const int ha = hostOf(a), hb = hostOf(b);
      if (ha == hb) {
        ctn("intra-" + std::to_string(a), "UP");
        ctn("intra-" + std::to_string(b), "DOWN");
      } else {
        ctn("nic-" + std::to_string(a), "UP");
        if (hostPool) ctn("host-nics-" + std::to_string(ha), "UP");
        const bool crossLeaves = fatTree && leafOf(ha) != leafOf(hb);
        if (crossLeaves) ctn("leaf-uplinks-" + std::to_string(leafOf(ha)), "UP");
        ctn("switch", nullptr);
        if (crossLeaves) {
          ctn("spine", nullptr);
          ctn("leaf-uplinks-" + std::to_string(leafOf(hb)), "DOWN");
        }
        if (hostPool) ctn("host-nics-" + std::to_string(hb), "DOWN");
        ctn("nic-" + std::to_string(b), "DOWN");
      }
      os << "</route>\n";
    }
  }
  os << "  </zone>\n";
  return os.str();
}

}  // namespace

constexpr std::uint64_t kFactorKeyPast = 32;

SmpiFactors simgridFactors(const Topology& given, std::uint64_t stepBytes) {
  const Topology t = onLinks(inStep(given, stepBytes));
  const Link& link = factorLink(t);
  const LinkCost ref = reference(factorLink(onLinks(given)));  // what simgridPlatform states
  SmpiFactors f;
  std::uint64_t from = 0;
  const auto add = [&](std::uint64_t minBytes, const LinkCost& c) {
    char pair[96];
    std::snprintf(pair, sizeof pair, "%s%llu:%.17g", f.bandwidth.empty() ? "" : ";",
                  static_cast<unsigned long long>(minBytes), c.bandwidthBps / ref.bandwidthBps);
    f.bandwidth += pair;
    // A link whose lines all have no latency states none: nothing to scale.
    const double scale = ref.latencyS > 0 ? c.latencyS / ref.latencyS : 1;
    std::snprintf(pair, sizeof pair, "%s%llu:%.17g", f.latency.empty() ? "" : ";",
                  static_cast<unsigned long long>(minBytes), scale);
    f.latency += pair;
  };
  for (const LinkPiece& p : link.pieces) {
    add(from, p.cost);
    // SMPI's next factor takes over a few bytes before its key (measured with SimGrid 3.32: at
    // key - 10 .. key - 20 bytes, for keys of 4e4 and 4e6): keyed this far past up_to, a message
    // of exactly up_to bytes (a power of two, often) keeps its piece.
    from = p.upToBytes + kFactorKeyPast;
  }
  add(from, {link.bandwidthBps, link.latencyS});
  return f;
}

std::string slotHostName(long long slot) { return "slot-" + std::to_string(slot); }

bool sharesHostMemory(const Topology& t) { return t.memoryParallelism > 0 && t.devicesPerHost > 1; }

std::string simgridPlatform(const Topology& given) {
  const Topology t = onLinks(given);
  std::string body;
  if (t.hosts == 1 || (t.devicesPerHost == 1 && t.fabric.kind != FabricKind::FatTree))
    body = flatCluster(t);
  else if (t.devicesPerHost == 1)
    body = fatTreeCluster(t);
  else
    body = explicitRoutes(t);
  if (sharesHostMemory(t)) {
    // Beside the fabric, one host per machine that its ranks' memory passes run on
    // (SimulatedMemory): memory_parallelism slots' speed, each pass bounded by its slot's, so k
    // passes at once each get min(1, parallelism / k) of full speed, as the cost model shares them.
    // Nothing is routed to them: they compute only.
    std::ostringstream os;
    os << "<zone id=\"machine\" routing=\"Full\">\n" << body
       << "  <zone id=\"memory\" routing=\"None\">\n";
    for (int h = 0; h < t.hosts; ++h) {
      char speed[64];
      std::snprintf(speed, sizeof speed, "%.17gf", t.memoryParallelism * kSimulatedHostFlops);
      os << "    <host id=\"" << memoryHostName(h) << "\" speed=\"" << speed << "\"/>\n";
    }
    os << "  </zone>\n</zone>\n";
    body = os.str();
  }
  return std::string(kHeader) + "<!-- commsim: topology " + commentSafe(t.name) + " from " +
         commentSafe(t.source) + " -->\n" + body + "</platform>\n";
}

std::string simgridHostfile(long long ranks) {
  std::string out;
  for (long long r = 0; r < ranks; ++r) out += slotHostName(r) + "\n";
  return out;
}

}  // namespace commsim
