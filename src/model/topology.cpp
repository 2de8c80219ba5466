// Loading and validating topologies/*.yaml. Every message names the file and the field, because a
// cluster description is edited by hand and a silent default would make every prediction wrong.
#include "commsim/topology.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <utility>

#include "commsim/error.hpp"
#include "yaml_file.hpp"

namespace commsim {

namespace {

struct Unit {
  std::string_view name;
  double factor;  // to bytes per second, or to seconds
};

// Network rates are decimal, as vendors quote them: 400 Gbps is 400e9 bits per second.
constexpr std::array<Unit, 4> kBandwidthUnits{{
    {"Gbps", 1e9 / 8}, {"Mbps", 1e6 / 8}, {"GBps", 1e9}, {"MBps", 1e6}}};
constexpr std::array<Unit, 4> kLatencyUnits{{{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}}};
constexpr std::array<Unit, 5> kCostPerByteUnits{
    {{"s/B", 1}, {"ms/B", 1e-3}, {"us/B", 1e-6}, {"ns/B", 1e-9}, {"ps/B", 1e-12}}};
constexpr std::array<Unit, 3> kComputeUnits{{{"PFLOPS", 1e15}, {"TFLOPS", 1e12}, {"GFLOPS", 1e9}}};

template <std::size_t N>
std::string unitList(const std::array<Unit, N>& units) {
  std::string out;
  for (const auto& u : units) out += (out.empty() ? "" : ", ") + std::string(u.name);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(std::string_view where, std::string_view text, std::string_view what) {
  std::ostringstream os;
  os << where << ": '" << text << "' " << what;
  throw UsageError(os.str());
}

// "<number> <unit>" with the unit one of `units`; returns the number times the unit's factor.
template <std::size_t N>
double parseQuantity(std::string_view text, std::string_view where,
                     const std::array<Unit, N>& units, std::string_view example) {
  const std::string_view s = trim(text);
  const std::string allowed = "(allowed: " + unitList(units) + ")";
  if (s.empty()) fail(where, text, "is empty (expected a number and a unit, e.g. '" +
                                       std::string(example) + "')");
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) {
    fail(where, text, "is not a number with a unit (e.g. '" + std::string(example) + "')");
  }
  const std::string_view unit = trim(s.substr(static_cast<std::size_t>(end - s.data())));
  if (unit.empty()) fail(where, text, "has no unit " + allowed);
  const auto it = std::find_if(units.begin(), units.end(),
                               [&](const Unit& u) { return u.name == unit; });
  if (it == units.end()) fail(where, text, "has an unknown unit " + allowed);
  // A finite number can still overflow once converted (1e308 Gbps): refuse it rather than carry
  // an infinite rate into the model.
  const double converted = value * it->factor;
  if (!std::isfinite(converted)) fail(where, text, "is too large");
  return converted;
}

// Walks the YAML tree, naming each node by its dotted path for messages.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(std::string_view field, std::string_view what) const {
    throw UsageError(source_ + ": " + std::string(field) + ": " + std::string(what));
  }
  std::string where(std::string_view field) const { return source_ + ": " + std::string(field); }

  // The node must be a mapping whose keys are all in `allowed`.
  void checkKeys(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap()) fail(path.empty() ? "(top level)" : path, "must be a mapping of keys");
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) fail(path.empty() ? "(top level)" : path, "keys must be plain names");
      const std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(join(path, key), "unknown key (allowed: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  std::string scalar(const YAML::Node& parent, const std::string& path, std::string_view key,
                     std::string_view required) const {
    const YAML::Node n = parent[std::string(key)];
    const std::string field = join(path, key);
    if (!n) fail(field, "missing (required: " + std::string(required) + ")");
    if (!n.IsScalar()) fail(field, "must be a single value (" + std::string(required) + ")");
    return n.Scalar();
  }

  int positiveInt(const YAML::Node& parent, const std::string& path, std::string_view key) const {
    const std::string text = scalar(parent, path, key, "a positive integer");
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
      fail(join(path, key), "'" + text + "' is not a positive integer");
    }
    return value;
  }

  // A number >= 1; `what` says what it is, with an example, for the message.
  double atLeastOne(const YAML::Node& parent, const std::string& path, std::string_view key,
                    const std::string& what) const {
    const std::string text = scalar(parent, path, key, what);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 1) {
      fail(join(path, key), "'" + text + "' is not " + what);
    }
    return value;
  }
  double ratio(const YAML::Node& parent, const std::string& path, std::string_view key) const {
    return atLeastOne(parent, path, key, "a ratio >= 1 (e.g. 2 for 2:1)");
  }

  Link link(const YAML::Node& parent, const std::string& key,
            std::initializer_list<std::string_view> allowed) const {
    const YAML::Node n = parent[key];
    if (!n) fail(key, "missing (required: a mapping with bandwidth and latency)");
    checkKeys(n, key, allowed);
    Link l;
    const LinkCost c = cost(n, key);
    l.bandwidthBps = c.bandwidthBps;
    l.latencyS = c.latencyS;
    if (n["pieces"]) l.pieces = pieces(n["pieces"], join(key, "pieces"));
    if (n["shared_bandwidth"]) {
      l.sharedBandwidthBps =
          parseBandwidth(scalar(n, key, "shared_bandwidth", "e.g. '20 GBps'"),
                         where(join(key, "shared_bandwidth")));
    }
    if (n["latency_shares_host"]) {
      const std::string text = scalar(n, key, "latency_shares_host", "true or false");
      if (text != "true" && text != "false")
        fail(join(key, "latency_shares_host"), "'" + text + "' is not true or false");
      l.latencySharesHost = text == "true";
    }
    return l;
  }

  LinkCost cost(const YAML::Node& n, const std::string& path) const {
    return {parseBandwidth(scalar(n, path, "bandwidth", "e.g. '100 Gbps'"),
                           where(join(path, "bandwidth"))),
            parseLatency(scalar(n, path, "latency", "e.g. '2 us'"), where(join(path, "latency")))};
  }

  // A list of {up_to, bandwidth, latency}, up_to a whole number of bytes, strictly ascending.
  std::vector<LinkPiece> pieces(const YAML::Node& list, const std::string& path) const {
    if (!list.IsSequence() || list.size() == 0)
      fail(path, "must be a list of {up_to, bandwidth, latency} (at least one)");
    std::vector<LinkPiece> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      const YAML::Node n = list[i];
      checkKeys(n, item, {"up_to", "bandwidth", "latency"});
      out.push_back({upToBytes(n, item, out.empty() ? 0 : out.back().upToBytes), cost(n, item)});
    }
    return out;
  }

  // `gamma: 0.1 ns/B`, or by pass size: {cost: 0.1 ns/B, pieces: [{up_to: BYTES, cost: ...}]}.
  void costCurve(const YAML::Node& root, const std::string& key, double& top,
                 std::vector<CostPiece>& pieces) const {
    const YAML::Node n = root[key];
    const std::string example = "e.g. '0.1 ns/B', or {cost: 0.1 ns/B, pieces: [{up_to: 65536, cost: 0.02 ns/B}]}";
    if (n.IsScalar()) {
      top = parseCostPerByte(n.Scalar(), where(key));
      return;
    }
    if (!n.IsMap()) fail(key, "must be a cost per byte (" + example + ")");
    checkKeys(n, key, {"cost", "pieces"});
    top = parseCostPerByte(scalar(n, key, "cost", example), where(join(key, "cost")));
    if (!n["pieces"]) return;
    const std::string path = join(key, "pieces");
    const YAML::Node list = n["pieces"];
    if (!list.IsSequence() || list.size() == 0) fail(path, "must be a list of {up_to, cost} (at least one)");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      checkKeys(list[i], item, {"up_to", "cost"});
      const std::uint64_t upTo = upToBytes(list[i], item, pieces.empty() ? 0 : pieces.back().upToBytes);
      pieces.push_back({upTo, parseCostPerByte(scalar(list[i], item, "cost", "e.g. '0.02 ns/B'"),
                                               where(join(item, "cost")))});
    }
  }

  // A piece's up_to: a positive whole number of bytes above the previous piece's (0: none).
  std::uint64_t upToBytes(const YAML::Node& n, const std::string& item, std::uint64_t previous) const {
    const std::string text = scalar(n, item, "up_to", "the largest size of the piece, bytes");
    std::uint64_t upTo = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), upTo);
    if (ec != std::errc() || end != text.data() + text.size() || upTo == 0)
      fail(join(item, "up_to"), "'" + text + "' is not a positive whole number of bytes");
    if (previous > 0 && upTo <= previous)
      fail(join(item, "up_to"), "'" + text + "' is not above the previous piece's " +
                                    std::to_string(previous) + " (pieces ascend by size)");
    return upTo;
  }

  // device: {flops: '989 TFLOPS', efficiency: 0.4}
  void device(const YAML::Node& parent, Topology& t) const {
    const std::string path = "device";
    const YAML::Node n = parent[path];
    checkKeys(n, path, {"flops", "efficiency"});
    const std::string flops = scalar(n, path, "flops", "e.g. '989 TFLOPS'");
    t.deviceFlops = parseQuantity(flops, where(join(path, "flops")), kComputeUnits, "989 TFLOPS");
    if (!(t.deviceFlops > 0)) commsim::fail(where(join(path, "flops")), flops, "must be greater than zero");
    if (n["efficiency"]) {
      const std::string text = scalar(n, path, "efficiency", "a fraction in (0, 1]");
      double e = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), e);
      if (ec != std::errc() || end != text.data() + text.size() || !(e > 0) || e > 1)
        fail(join(path, "efficiency"), "'" + text + "' is not a fraction in (0, 1] (e.g. 0.4)");
      t.deviceEfficiency = e;
    }
  }

  Fabric fabric(const YAML::Node& parent) const {
    const std::string path = "fabric";
    const YAML::Node n = parent[path];
    if (!n) fail(path, "missing (required when hosts > 1: a mapping with type)");
    if (!n.IsMap()) fail(path, "must be a mapping of keys");
    const std::string type =
        scalar(n, path, "type", "one of non-blocking, oversubscribed, fat-tree");
    Fabric f;
    if (type == "non-blocking") {
      f.kind = FabricKind::NonBlocking;
      checkKeys(n, path, {"type", "switch_latency"});
    } else if (type == "oversubscribed") {
      f.kind = FabricKind::Oversubscribed;
      checkKeys(n, path, {"type", "switch_latency", "oversubscription"});
      f.oversubscription = ratio(n, path, "oversubscription");
    } else if (type == "fat-tree") {
      f.kind = FabricKind::FatTree;
      checkKeys(n, path, {"type", "switch_latency", "hosts_per_leaf", "oversubscription"});
      f.hostsPerLeaf = positiveInt(n, path, "hosts_per_leaf");
      if (n["oversubscription"]) f.oversubscription = ratio(n, path, "oversubscription");
    } else {
      fail(join(path, "type"),
           "'" + type + "' is not a fabric type (allowed: non-blocking, oversubscribed, fat-tree)");
    }
    if (n["switch_latency"]) {
      f.switchLatencyS = parseLatency(scalar(n, path, "switch_latency", "e.g. '200 ns'"),
                                      where(join(path, "switch_latency")));
    }
    return f;
  }

 private:
  std::string source_;
};

}  // namespace

std::string_view fabricName(FabricKind kind) {
  switch (kind) {
    case FabricKind::NonBlocking: return "non-blocking";
    case FabricKind::Oversubscribed: return "oversubscribed";
    case FabricKind::FatTree: return "fat-tree";
  }
  return "?";
}

double parseBandwidth(std::string_view text, std::string_view where) {
  const double v = parseQuantity(text, where, kBandwidthUnits, "100 Gbps");
  if (!(v > 0)) fail(where, text, "must be greater than zero");
  return v;
}

double parseLatency(std::string_view text, std::string_view where) {
  const double v = parseQuantity(text, where, kLatencyUnits, "2 us");
  if (v < 0) fail(where, text, "must not be negative");
  return v;
}

double parseCostPerByte(std::string_view text, std::string_view where) {
  const double v = parseQuantity(text, where, kCostPerByteUnits, "0.25 ns/B");
  if (v < 0) fail(where, text, "must not be negative");
  return v;
}

Topology parseTopology(std::string_view yaml, const std::string& source) {
  const YAML::Node loaded = parseYaml(yaml, source);
  // Const, so that looking up an absent key never adds it.
  const YAML::Node& root = loaded;
  const Reader r(source);
  r.checkKeys(root, "",
              {"name", "description", "hosts", "devices_per_host", "intra_host", "nic", "fabric",
               "gamma", "gamma_sum", "copy", "scale", "sgd", "memory_parallelism", "write_after_send",
               "send_written", "send_unwritten", "device"});
  Topology t;
  t.source = source;
  t.name = root["name"] ? r.scalar(root, "", "name", "a string")
                        : std::filesystem::path(source).stem().string();
  if (root["description"]) t.description = r.scalar(root, "", "description", "a string");
  t.hosts = r.positiveInt(root, "", "hosts");
  t.devicesPerHost = r.positiveInt(root, "", "devices_per_host");
  // Links that no placement can cross may be left out: intra_host with one device per host,
  // nic and fabric with one host.
  if (t.devicesPerHost > 1 || root["intra_host"]) {
    t.intraHost = r.link(root, "intra_host",
                         {"bandwidth", "latency", "pieces", "shared_bandwidth", "latency_shares_host"});
  }
  if (t.hosts > 1 || root["nic"]) {
    t.nic = r.link(root, "nic", {"bandwidth", "latency", "count", "pieces"});
    if (root["nic"]["count"]) t.nicsPerHost = r.positiveInt(root["nic"], "nic", "count");
  }
  if (t.hosts > 1 || root["fabric"]) t.fabric = r.fabric(root);
  if (root["gamma"]) r.costCurve(root, "gamma", t.gammaSPerByte, t.gammaPieces);
  if (root["gamma_sum"]) r.costCurve(root, "gamma_sum", t.gammaSumSPerByte, t.gammaSumPieces);
  if (root["copy"]) r.costCurve(root, "copy", t.copySPerByte, t.copyPieces);
  if (root["scale"]) r.costCurve(root, "scale", t.scaleSPerByte, t.scalePieces);
  if (root["sgd"]) r.costCurve(root, "sgd", t.sgdSPerByte, t.sgdPieces);
  if (root["write_after_send"])
    r.costCurve(root, "write_after_send", t.writeAfterSendSPerByte, t.writeAfterSendPieces);
  if (root["send_written"]) r.costCurve(root, "send_written", t.sendWrittenSPerByte, t.sendWrittenPieces);
  if (root["send_unwritten"])
    r.costCurve(root, "send_unwritten", t.sendUnwrittenSPerByte, t.sendUnwrittenPieces);
  if (root["memory_parallelism"])
    t.memoryParallelism = r.atLeastOne(root, "", "memory_parallelism",
                                       "a number of ranks >= 1 (e.g. 1.8)");
  if (root["device"]) r.device(root, t);
  return t;
}

MessageCost Topology::receiveWork() const {
  if (!intraHost.latencySharesHost) return {};
  const double share = memoryParallelism > 0 ? std::min(1.0, memoryParallelism / 2) : 1.0;
  MessageCost c{intraHost.latencyS * share, {}};
  for (const LinkPiece& p : intraHost.pieces) c.pieces.push_back({p.upToBytes, p.cost.latencyS * share});
  return c;
}

Topology loadTopology(const std::string& path) {
  return parseTopology(readTextFile(path, "topology file", "topologies/"), path);
}

namespace {

// `pieces` with one ending at `bytes`: the piece holding it split there, or, beyond the last, one
// of the line above (`top`) added; so that what lies at and below `bytes` can change alone.
template <typename Piece>
std::vector<Piece> splitAt(std::vector<Piece> pieces, std::uint64_t bytes, Piece top) {
  auto at = std::find_if(pieces.begin(), pieces.end(), [&](const Piece& p) { return bytes <= p.upToBytes; });
  if (at == pieces.end()) {
    top.upToBytes = bytes;
    pieces.push_back(top);
  } else if (at->upToBytes != bytes) {
    Piece p = *at;
    p.upToBytes = bytes;
    pieces.insert(at, p);
  }
  return pieces;
}

// `c` inside a step over `stepBytes`: split there, each piece at and below it costing
// `below(its own cost, the step's size's cost)`.
template <typename Below>
PassCost belowStep(const PassCost& c, std::uint64_t stepBytes, Below below) {
  if (c.pieces.empty() || stepBytes == 0) return c;
  const double atStep = costAt(c.top, c.pieces, stepBytes);
  PassCost s{c.top, splitAt(c.pieces, stepBytes, CostPiece{0, c.top})};
  for (CostPiece& p : s.pieces)
    if (p.upToBytes <= stepBytes) p.sPerByte = below(p.sPerByte, atStep);
  return s;
}

}  // namespace

PassCost PassCost::inStep(std::uint64_t stepBytes) const {
  return belowStep(*this, stepBytes, [](double own, double step) { return std::max(own, step); });
}

// A state's surcharge is the difference between two transfers of one size, which the caches make
// (where the lines sit: modified in the sender's, or read-shared): inside a step over S both
// transfers find the caches as transfers of S do, so each size up to S pays S's difference, as
// both states' links are capped at S's rate (Link::inStep). Not a floor, unlike a pass's cost: a
// difference can change sign between sizes (on this machine the just-written state cost 2x at
// 64-256 KiB and the only-read one 1.1-1.3x from 1 MiB), and the step's is the one it pays.
PassCost PassCost::surchargeInStep(std::uint64_t stepBytes) const {
  return belowStep(*this, stepBytes, [](double, double step) { return step; });
}

Link Link::inStep(std::uint64_t stepBytes) const {
  if (pieces.empty() || stepBytes == 0) return *this;
  const double cap = at(stepBytes).bandwidthBps;
  Link l = *this;
  l.pieces = splitAt(pieces, stepBytes, LinkPiece{0, {bandwidthBps, latencyS}});
  for (LinkPiece& p : l.pieces)
    if (p.upToBytes <= stepBytes) p.cost.bandwidthBps = std::min(p.cost.bandwidthBps, cap);
  return l;
}

Topology inStep(const Topology& t, std::uint64_t stepBytes) {
  Topology s = t;
  s.intraHost = t.intraHost.inStep(stepBytes);
  for (auto [top, pieces] : {std::pair{&s.gammaSPerByte, &s.gammaPieces},
                             {&s.gammaSumSPerByte, &s.gammaSumPieces},
                             {&s.copySPerByte, &s.copyPieces},
                             {&s.scaleSPerByte, &s.scalePieces},
                             {&s.sgdSPerByte, &s.sgdPieces}})
    if (*top >= 0) *pieces = PassCost{*top, *pieces}.inStep(stepBytes).pieces;
  for (auto [top, pieces] : {std::pair{&s.writeAfterSendSPerByte, &s.writeAfterSendPieces},
                             {&s.sendWrittenSPerByte, &s.sendWrittenPieces},
                             {&s.sendUnwrittenSPerByte, &s.sendUnwrittenPieces}})
    *pieces = PassCost{*top, *pieces}.surchargeInStep(stepBytes).pieces;
  return s;
}

}  // namespace commsim
