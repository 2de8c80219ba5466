// Topology files and the cost model. Expected times are worked out here from the closed forms of
// SPEC §4 and round figures (1 GBps, 1 us, p*s = 10^9 bytes), independently of the model's code.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "commsim/algorithms.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/error.hpp"
#include "commsim/schedule.hpp"
#include "commsim/topology.hpp"
#include "model/link_fit.hpp"

namespace commsim {
namespace {

// Predicts with the registry's algorithm `name`.
Prediction predict(const Topology& t, std::string_view name, int n, std::uint64_t p,
                   std::size_t s, const AlgorithmOptions& a = {}, const PredictOptions& o = {}) {
  return commsim::predict(t, *makeAlgorithm(name, a), n, p, s, o);
}

// p*s = 10^9 bytes, so p*s/B is 1 s at 1 GBps.
constexpr std::uint64_t kP = 250'000'000;
constexpr std::size_t kS = 4;
constexpr double kPS = 1e9;

std::string usageError(const std::string& yaml) {
  try {
    parseTopology(yaml, "x.yaml");
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UsageError for:\n" << yaml;
  return "";
}

const std::string kValid = R"(
hosts: 2
devices_per_host: 2
intra_host: {bandwidth: 10 GBps, latency: 1 us}
nic: {bandwidth: 8 Gbps, latency: 5 us}
fabric: {type: non-blocking, switch_latency: 1 us}
)";

// The message names the field: `part` is a piece of it.
void expectError(const std::string& yaml, const std::string& part) {
  const std::string m = usageError(yaml);
  EXPECT_NE(m.find(part), std::string::npos) << m;
}

// kValid with the line containing `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
  std::string y = kValid;
  const auto at = y.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  const auto end = y.find('\n', at);
  const auto begin = y.rfind('\n', at) + 1;
  return y.replace(begin, end - begin, to);
}

TEST(TopologySchema, ValidFileLoadsInBaseUnits) {
  const Topology t = parseTopology(kValid, "x.yaml");
  EXPECT_EQ(t.name, "x");
  EXPECT_EQ(t.slots(), 4);
  EXPECT_DOUBLE_EQ(t.intraHost.bandwidthBps, 10e9);
  EXPECT_DOUBLE_EQ(t.intraHost.latencyS, 1e-6);
  EXPECT_DOUBLE_EQ(t.nic.bandwidthBps, 1e9);  // 8 Gbit/s is 1 GB/s
  EXPECT_DOUBLE_EQ(t.fabric.switchLatencyS, 1e-6);
  EXPECT_EQ(t.fabric.kind, FabricKind::NonBlocking);
}

TEST(TopologySchema, Units) {
  EXPECT_DOUBLE_EQ(parseBandwidth("400 Gbps", "w"), 50e9);
  EXPECT_DOUBLE_EQ(parseBandwidth("800Mbps", "w"), 100e6);
  EXPECT_DOUBLE_EQ(parseBandwidth("12.5 GBps", "w"), 12.5e9);
  EXPECT_DOUBLE_EQ(parseBandwidth("3 MBps", "w"), 3e6);
  EXPECT_DOUBLE_EQ(parseLatency("2 us", "w"), 2e-6);
  EXPECT_DOUBLE_EQ(parseLatency("150ns", "w"), 150e-9);
  EXPECT_DOUBLE_EQ(parseLatency("1.5 ms", "w"), 1.5e-3);
  EXPECT_DOUBLE_EQ(parseLatency("0 s", "w"), 0);
}

TEST(TopologySchema, UnknownKeyIsNamed) {
  EXPECT_EQ(usageError(kValid + "hostz: 3\n"),
            "x.yaml: hostz: unknown key (allowed: name, description, hosts, devices_per_host, "
            "intra_host, nic, fabric, gamma, gamma_sum, copy, scale, sgd, memory_parallelism, write_after_send, "
            "send_written, send_unwritten, device)");
  expectError(edited("nic:", "nic: {bandwidth: 8 Gbps, latency: 5 us, mtu: 9000}"),
              "x.yaml: nic.mtu: unknown key");
  expectError(edited("fabric:", "fabric: {type: non-blocking, hosts_per_leaf: 2}"),
              "x.yaml: fabric.hosts_per_leaf: unknown key");
}

TEST(TopologySchema, MissingFieldIsNamed) {
  expectError(edited("nic:", "nic: {latency: 5 us}"), "x.yaml: nic.bandwidth: missing");
  expectError(edited("hosts:", ""), "x.yaml: hosts: missing");
  expectError(edited("fabric:", ""), "x.yaml: fabric: missing");
  expectError(edited("intra_host:", ""), "x.yaml: intra_host: missing");
}

TEST(TopologySchema, ZeroBandwidthIsRefused) {
  EXPECT_EQ(usageError(edited("intra_host:", "intra_host: {bandwidth: 0 GBps, latency: 1 us}")),
            "x.yaml: intra_host.bandwidth: '0 GBps' must be greater than zero");
  expectError(edited("nic:", "nic: {bandwidth: -4 Gbps, latency: 5 us}"),
              "nic.bandwidth: '-4 Gbps' must be greater than zero");
}

TEST(TopologySchema, BadUnitIsRefused) {
  EXPECT_EQ(usageError(edited("nic:", "nic: {bandwidth: 10 Gbs, latency: 5 us}")),
            "x.yaml: nic.bandwidth: '10 Gbs' has an unknown unit (allowed: Gbps, Mbps, GBps, MBps)");
  EXPECT_EQ(usageError(edited("nic:", "nic: {bandwidth: 10, latency: 5 us}")),
            "x.yaml: nic.bandwidth: '10' has no unit (allowed: Gbps, Mbps, GBps, MBps)");
  expectError(edited("nic:", "nic: {bandwidth: 1 Gbps, latency: 5 usec}"),
              "x.yaml: nic.latency: '5 usec' has an unknown unit (allowed: s, ms, us, ns)");
  expectError(edited("nic:", "nic: {bandwidth: fast, latency: 5 us}"),
              "x.yaml: nic.bandwidth: 'fast' is not a number");
}

TEST(TopologySchema, NegativeLatencyIsRefused) {
  EXPECT_EQ(usageError(edited("nic:", "nic: {bandwidth: 1 Gbps, latency: -1 us}")),
            "x.yaml: nic.latency: '-1 us' must not be negative");
  expectError(edited("fabric:", "fabric: {type: non-blocking, switch_latency: -3 ns}"),
              "x.yaml: fabric.switch_latency: '-3 ns' must not be negative");
}

TEST(TopologySchema, OtherBadValues) {
  expectError(edited("hosts:", "hosts: 0"), "x.yaml: hosts: '0' is not a positive integer");
  expectError(edited("devices_per_host:", "devices_per_host: 2.5"),
              "x.yaml: devices_per_host: '2.5' is not a positive integer");
  expectError(edited("fabric:", "fabric: {type: torus}"),
              "x.yaml: fabric.type: 'torus' is not a fabric type");
  expectError(edited("fabric:", "fabric: {type: oversubscribed, oversubscription: 0.5}"),
              "x.yaml: fabric.oversubscription: '0.5' is not a ratio >= 1");
  expectError(edited("fabric:", "fabric: {type: oversubscribed}"),
              "x.yaml: fabric.oversubscription: missing");
  expectError(edited("fabric:", "fabric: {type: fat-tree}"),
              "x.yaml: fabric.hosts_per_leaf: missing");
  expectError("hosts: [1, 2\n", "x.yaml:2: not valid YAML");
  expectError("- a list\n", "must be a mapping");
}

TEST(TopologySchema, MissingFileIsNamed) {
  try {
    loadTopology("/nonexistent/commsim-topology.yaml");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/commsim-topology.yaml: cannot read"),
              std::string::npos) << e.what();
  }
}

TEST(TopologySchema, EveryShippedTopologyLoads) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(COMMSIM_SOURCE_DIR) + "/topologies")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    const Topology t = loadTopology(entry.path().string());
    EXPECT_EQ(t.name, entry.path().stem().string());
    EXPECT_FALSE(t.description.empty());
    const int n = static_cast<int>(std::min<long long>(t.slots(), 2));
    const Prediction r = predict(t, "ring-allreduce", n, kP, kS);
    if (n > 1) {
      EXPECT_GT(r.timeS, 0);
    }
  }
  EXPECT_GE(files, 6);
}

// One host of four devices at 1 GBps and 1 us: the flat model of SPEC §4.
Topology flatHost() {
  return parseTopology("hosts: 1\ndevices_per_host: 4\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n",
                       "flat.yaml");
}

void expectTime(const Prediction& r, double expected) {
  EXPECT_NEAR(r.timeS, expected, expected * 1e-12) << r.paradigm << " n=" << r.workers;
}

TEST(CostModel, FlatFormulasOfTheSpec) {
  const Topology t = flatHost();
  const double a = 1e-6, B = 1e9;
  // all-to-all: (n-1)a + (n-1)ps/B
  auto r = predict(t, "all-to-all", 4, kP, kS);
  expectTime(r, 3 * a + 3 * kPS / B);
  EXPECT_DOUBLE_EQ(r.latencyS, a);
  EXPECT_DOUBLE_EQ(r.bandwidthBps, B);
  EXPECT_EQ(r.bottleneck, "intra-host");
  EXPECT_NEAR(r.algbwBps, kPS / r.timeS, 1e-3);
  EXPECT_NEAR(r.busbwBps, 3 * kPS / r.timeS, 1e-3);
  // parameter server, one dedicated server on the fourth slot, receiving one gradient at a time:
  // n rounds of push, one of pull, (n+1)a + 2n ps/B
  r = predict(t, "parameter-server", 3, kP, kS);
  expectTime(r, 4 * a + 2 * 3 * kPS / B);
  EXPECT_NEAR(r.busbwBps, 3 * kPS / r.timeS, 1e-3);
  // ring: 2(n-1)(a + ps/(nB))
  r = predict(t, "ring-allreduce", 4, kP, kS);
  expectTime(r, 2 * 3 * (a + kPS / (4 * B)));
  EXPECT_NEAR(r.busbwBps, 2.0 * 3 / 4 * kPS / r.timeS, 1e-3);
}

TEST(CostModel, ParameterServerVariants) {
  const Topology t = flatHost();
  const double a = 1e-6, B = 1e9;
  AlgorithmOptions sharded;
  sharded.servers = 2;  // each server's link carries n*p*s/k per phase, in n rounds of push
  auto r = predict(t, "parameter-server", 2, kP, kS, sharded);
  expectTime(r, 3 * a + 2 * (2.0 / 2) * kPS / B);
  EXPECT_EQ(r.variant, "sharded k=2");
  AlgorithmOptions colocated;
  colocated.colocated = true;  // worker 0 serves: n-1 rounds of push, (n-1) p s per phase
  r = predict(t, "parameter-server", 4, kP, kS, colocated);
  expectTime(r, 4 * a + 2 * 3 * kPS / B);
  EXPECT_EQ(r.variant, "co-located");
}

TEST(CostModel, GammaAddsTheReduction) {
  const Topology t = flatHost();
  PredictOptions o;
  o.gammaSPerByte = 1e-10;
  const double a = 1e-6, B = 1e9, g = 1e-10;
  expectTime(predict(t, "all-to-all", 4, kP, kS, {}, o), 3 * a + 3 * kPS / B + 3 * kPS * g);
  expectTime(predict(t, "parameter-server", 3, kP, kS, {}, o),
             4 * a + 2 * 3 * kPS / B + 3 * kPS * g);
  expectTime(predict(t, "ring-allreduce", 4, kP, kS, {}, o),
             6 * (a + kPS / (4 * B)) + 3.0 / 4 * kPS * g);
}

// One host of four devices whose link is 1 GBps and 1 us up to 1 MB, 4 GBps and 10 us above:
// a piecewise link (SPEC §13).
Topology piecewiseHost(const std::string& extra = "") {
  return parseTopology("hosts: 1\ndevices_per_host: 4\n"
                       "intra_host:\n  bandwidth: 4 GBps\n  latency: 10 us\n"
                       "  pieces:\n    - {up_to: 1000000, bandwidth: 1 GBps, latency: 1 us}\n" +
                           extra,
                       "piecewise.yaml");
}

TEST(TopologySchema, PiecewiseLinkSharedBandwidthAndGamma) {
  const Topology t = piecewiseHost("  shared_bandwidth: 6 GBps\ngamma: 0.25 ns/B\n");
  ASSERT_EQ(t.intraHost.pieces.size(), 1u);
  EXPECT_EQ(t.intraHost.pieces[0].upToBytes, 1000000u);
  EXPECT_DOUBLE_EQ(t.intraHost.at(1).bandwidthBps, 1e9);
  EXPECT_DOUBLE_EQ(t.intraHost.at(1000000).latencyS, 1e-6);
  EXPECT_DOUBLE_EQ(t.intraHost.at(1000001).bandwidthBps, 4e9);
  EXPECT_DOUBLE_EQ(t.intraHost.at(1000001).latencyS, 10e-6);
  EXPECT_DOUBLE_EQ(t.intraHost.sharedBandwidthBps, 6e9);
  EXPECT_DOUBLE_EQ(t.gammaSPerByte, 0.25e-9);
  EXPECT_LT(flatHost().gammaSPerByte, 0);  // absent
}

TEST(TopologySchema, BadPiecesAreNamed) {
  const std::string head = "hosts: 1\ndevices_per_host: 2\nintra_host:\n  bandwidth: 1 GBps\n  latency: 1 us\n";
  expectError(head + "  pieces: []\n", "x.yaml: intra_host.pieces: must be a list");
  expectError(head + "  pieces:\n    - {up_to: 0, bandwidth: 1 GBps, latency: 1 us}\n",
              "x.yaml: intra_host.pieces[0].up_to: '0' is not a positive whole number of bytes");
  expectError(head + "  pieces:\n    - {up_to: 64K, bandwidth: 1 GBps, latency: 1 us}\n",
              "x.yaml: intra_host.pieces[0].up_to: '64K' is not a positive whole number");
  expectError(head + "  pieces:\n    - {up_to: 100, bandwidth: 1 GBps, latency: 1 us}\n"
                     "    - {up_to: 100, bandwidth: 1 GBps, latency: 1 us}\n",
              "x.yaml: intra_host.pieces[1].up_to: '100' is not above the previous piece's 100");
  expectError(head + "  pieces:\n    - {up_to: 100, bandwidth: 0 GBps, latency: 1 us}\n",
              "x.yaml: intra_host.pieces[0].bandwidth: '0 GBps' must be greater than zero");
  expectError(head + "  pieces:\n    - {up_to: 100, latency: 1 us}\n",
              "x.yaml: intra_host.pieces[0].bandwidth: missing");
  expectError(head + "  pieces:\n    - {up_to: 100, bandwidth: 1 GBps, latency: 1 us, x: 1}\n",
              "x.yaml: intra_host.pieces[0].x: unknown key");
  expectError(head + "gamma: 1 ns\n", "x.yaml: gamma: '1 ns' has an unknown unit (allowed: s/B, ms/B, us/B, ns/B, ps/B)");
  expectError(head + "gamma: -1 ns/B\n", "x.yaml: gamma: '-1 ns/B' must not be negative");
}

TEST(CostModel, PiecewiseLinkPricesEachMessageAtItsSize) {
  const Topology t = piecewiseHost();
  // Ring of 4: messages of p*s/4. 4 MB of gradient: 1 MB messages, the first piece.
  expectTime(predict(t, "ring-allreduce", 4, 1'000'000, kS), 6 * (1e-6 + 1e6 / 1e9));
  // 4 MB + 16 B: messages of 1 MB + 4 B, the line above the pieces.
  expectTime(predict(t, "ring-allreduce", 4, 1'000'004, kS), 6 * (10e-6 + 1'000'004.0 / 4e9));
  // All-to-all sends the whole 4 MB gradient: the line above.
  expectTime(predict(t, "all-to-all", 4, 1'000'000, kS), 3 * (10e-6 + 4e6 / 4e9));
}

TEST(CostModel, InsideAStepNoMessageIsFasterThanOneOfTheStepsSize) {
  // The caches' case: 4 GBps and 1 us up to 1 MB, 1 GBps and 10 us above.
  const Topology t = parseTopology("hosts: 1\ndevices_per_host: 4\n"
                                   "intra_host:\n  bandwidth: 1 GBps\n  latency: 10 us\n"
                                   "  pieces:\n    - {up_to: 1000000, bandwidth: 4 GBps, latency: 1 us}\n",
                                   "caches.yaml");
  // A 1 MB step: the ring's 250 KB messages at their piece, as is.
  expectTime(predict(t, "ring-allreduce", 4, 250'000, kS), 6 * (1e-6 + 250e3 / 4e9));
  // A 4 MB step: 1 MB messages keep their piece's latency and move at the step's 1 GBps.
  expectTime(predict(t, "ring-allreduce", 4, 1'000'000, kS), 6 * (1e-6 + 1e6 / 1e9));
  // All-to-all's messages are the step's size: the piece, as is.
  expectTime(predict(t, "all-to-all", 4, 250'000, kS), 3 * (1e-6 + 1e6 / 4e9));

  // The link itself: the piece holding the step's size is split there, what lies below it capped.
  const Link below = t.intraHost.inStep(500'000);
  ASSERT_EQ(below.pieces.size(), 2u);
  EXPECT_EQ(below.pieces[0].upToBytes, 500'000u);
  EXPECT_DOUBLE_EQ(below.at(500'000).bandwidthBps, 4e9);
  EXPECT_DOUBLE_EQ(below.at(500'001).bandwidthBps, 4e9);
  const Link above = t.intraHost.inStep(4'000'000);
  ASSERT_EQ(above.pieces.size(), 2u);
  EXPECT_DOUBLE_EQ(above.at(1).bandwidthBps, 1e9);
  EXPECT_DOUBLE_EQ(above.at(1).latencyS, 1e-6);
  EXPECT_DOUBLE_EQ(above.at(2'000'000).latencyS, 10e-6);
  EXPECT_DOUBLE_EQ(above.at(8'000'000).bandwidthBps, 1e9);
  // A link without pieces is one line at every size, inside a step or not.
  const Link flat = flatHost().intraHost.inStep(4'000'000);
  EXPECT_TRUE(flat.pieces.empty());
  EXPECT_DOUBLE_EQ(flat.bandwidthBps, flatHost().intraHost.bandwidthBps);
  // Passes alike: a piece's cost below the step's size no less than the step's.
  const PassCost gamma = PassCost{0.1e-9, {{1'000'000, 0.01e-9}}}.inStep(4'000'000);
  EXPECT_DOUBLE_EQ(gamma.of(1000), 1000 * 0.1e-9);
  const PassCost small = PassCost{0.1e-9, {{1'000'000, 0.01e-9}}}.inStep(1000);
  EXPECT_DOUBLE_EQ(small.of(1000), 1000 * 0.01e-9);
}

TEST(CostModel, SharedHostBandwidthBoundsConcurrentCopies) {
  // 4 ranks of a ring each copy m per round; the host's memory carries 4m at once.
  const Topology t = piecewiseHost("  shared_bandwidth: 10 GBps\n");
  const double m = 4e6 / 4 + 4;  // above the piece: the link's own 4 GBps; shared 10 GBps
  auto r = predict(t, "ring-allreduce", 4, 1'000'004, kS);
  expectTime(r, 6 * (10e-6 + 4 * m / 10e9));
  EXPECT_EQ(r.bottleneck, "host-shared");
  // Two ranks copy 2m at once: 2m at 10 GBps is less than m at the link's 4 GBps.
  r = predict(t, "ring-allreduce", 2, 1'000'004, kS);
  expectTime(r, 2 * (10e-6 + 2'000'008.0 / 4e9));
  EXPECT_EQ(r.bottleneck, "intra-host");
  // Inside the piece a message takes 4x its bytes of every capacity (1 GBps of 4): the shared
  // 10 GBps carries 4 messages at 2.5 GBps, as SMPI's bandwidth factors do.
  r = predict(t, "ring-allreduce", 4, 1'000'000, kS);
  expectTime(r, 6 * (1e-6 + 4 * 1e6 / 2.5e9));
  EXPECT_EQ(r.bottleneck, "host-shared");
}

TEST(CostModel, RanksCopyingAtOnceShareTheHostAsAPairMovingTheirBytes) {
  // Up to 1 MB a message moves at 4x the link's 1 GBps, of the host's shared 2 GBps too. A round
  // of k > 2 ranks copying at once holds k/2 times a pair's bytes in the host's caches: each of
  // its messages of m takes the host's shared rate as a pair's exchange of k/2 x m does.
  const Topology t = parseTopology("hosts: 1\ndevices_per_host: 4\n"
                                   "intra_host:\n  bandwidth: 1 GBps\n  latency: 0 us\n  shared_bandwidth: 2 GBps\n"
                                   "  pieces:\n    - {up_to: 1000000, bandwidth: 4 GBps, latency: 0 us}\n",
                                   "crowded.yaml");
  // All-to-all, 4 ranks, 600 KB each: 3 rounds of 4 messages, each priced on the host as one of
  // 1.2 MB (above the piece: 2 GBps in all), not at the piece's 8.
  auto r = predict(t, "all-to-all", 4, 150'000, kS);
  EXPECT_EQ(r.rounds, 3);
  EXPECT_EQ(r.bottleneck, "host-shared");
  EXPECT_NEAR(r.bandwidthTermS, 3 * 4 * 600e3 / 2e9, 1e-12);
  // 200 KB each: 400 KB is inside the piece, 8 GBps in all.
  EXPECT_NEAR(predict(t, "all-to-all", 4, 50'000, kS).bandwidthTermS, 3 * 4 * 200e3 / 8e9, 1e-12);
  // Two ranks are calibrate's pair: the piece as it is, the link's 4 GBps the bottleneck.
  EXPECT_NEAR(predict(t, "all-to-all", 2, 150'000, kS).bandwidthTermS, 600e3 / 4e9, 1e-12);
  // Never faster than the message's own piece: 80 KB at a slow piece's 0.5 GBps stays there,
  // though 160 KB would be at the link's 1.
  const Topology slow = parseTopology("hosts: 1\ndevices_per_host: 4\n"
                                      "intra_host:\n  bandwidth: 1 GBps\n  latency: 0 us\n  shared_bandwidth: 2 GBps\n"
                                      "  pieces:\n    - {up_to: 100000, bandwidth: 0.5 GBps, latency: 0 us}\n",
                                      "slow.yaml");
  EXPECT_NEAR(predict(slow, "all-to-all", 4, 20'000, kS).bandwidthTermS, 3 * 4 * 80e3 / (2e9 * 0.5), 1e-12);
}

TEST(LinkFit, OneLineStaysOneLine) {
  // 1 us + m / 2 GBps at every size: no pieces, the line itself.
  const std::vector<std::uint64_t> m{8, 1024, 65536, 4194304};
  std::vector<double> t;
  for (auto b : m) t.push_back(1e-6 + static_cast<double>(b) / 2e9);
  const Link l = fitPiecewiseLink(m, t);
  EXPECT_TRUE(l.pieces.empty());
  EXPECT_NEAR(l.bandwidthBps, 2e9, 1e3);
  EXPECT_NEAR(l.latencyS, 1e-6, 1e-12);
}

TEST(LinkFit, AKneeBecomesAPieceAtTheMeasuredSize) {
  // Up to 64 KiB: 0.5 us + m / 1 GBps; above: 20 us + m / 4 GBps (a protocol switch).
  const std::vector<std::uint64_t> m{8, 1024, 16384, 65536, 262144, 1048576, 4194304};
  std::vector<double> t;
  for (auto b : m) {
    const double x = static_cast<double>(b);
    t.push_back(b <= 65536 ? 0.5e-6 + x / 1e9 : 20e-6 + 0.5e-6 + 65536 / 1e9 - 65536 / 4e9 + x / 4e9);
  }
  const Link l = fitPiecewiseLink(m, t);
  // The first piece ends at the knee; the jump between 64 and 256 KiB is an interval of its own
  // (measured points are joined by lines, and a step is not one); the last line is the 4 GBps.
  ASSERT_EQ(l.pieces.size(), 2u);
  EXPECT_EQ(l.pieces[0].upToBytes, 65536u);
  EXPECT_EQ(l.pieces[1].upToBytes, 262144u);
  EXPECT_NEAR(l.pieces[0].cost.bandwidthBps, 1e9, 1e3);
  EXPECT_NEAR(l.pieces[0].cost.latencyS, 0.5e-6, 1e-12);
  EXPECT_NEAR(l.bandwidthBps, 4e9, 1e3);
  // Every measurement is reproduced by the piece or line it falls in.
  for (std::size_t i = 0; i < m.size(); ++i) {
    const LinkCost c = l.at(m[i]);
    EXPECT_NEAR(c.latencyS + static_cast<double>(m[i]) / c.bandwidthBps, t[i], t[i] * 0.05) << m[i];
  }
}

TEST(LinkFit, NoiseThatRunsBackwardsIsRaisedAndFlatTimesRefused) {
  // 4 KiB measured faster than 1 KiB: taken as 1 KiB's time, never a negative bandwidth.
  const Link l = fitPiecewiseLink(std::vector<std::uint64_t>{8, 1024, 4096, 1 << 20},
                                  std::vector<double>{1e-6, 2e-6, 1.5e-6, 300e-6});
  EXPECT_GT(l.bandwidthBps, 0);
  for (const auto& p : l.pieces) EXPECT_GT(p.cost.bandwidthBps, 0);
  EXPECT_THROW(fitPiecewiseLink(std::vector<std::uint64_t>{8, 1024}, std::vector<double>{1e-6, 1e-6}),
               Error);
}

// A size timed faster than the one below it, inside what would be one interval: its line must
// hold it too (taken as the smaller size's time). Times from a CI run's calibration, where the
// fit once gave 16 KiB 2.605 us against 2.382 measured at 4 KiB.
TEST(LinkFit, AFlatStretchIsHeldByItsLine) {
  const std::vector<std::uint64_t> m{8, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
  const std::vector<double> t{0.40e-6, 0.62e-6, 2.382e-6, 2.30e-6, 3.80e-6, 9.1e-6, 31e-6, 205e-6, 1010e-6};
  const Link l = fitPiecewiseLink(m, t);
  double floor = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    floor = std::max(floor, t[i]);
    const LinkCost c = l.at(m[i]);
    EXPECT_NEAR(c.latencyS + static_cast<double>(m[i]) / c.bandwidthBps, floor, floor * 0.05) << m[i];
  }
}

TEST(CostModel, CopyCostPricesTheAlgorithmsOwnPasses) {
  // The ring scales its owned chunk (p/n elements) once, after the reduce-scatter: p*s/n bytes.
  const Topology t = flatHost();
  PredictOptions o;
  o.copySPerByte = 2e-10;
  const auto with = predict(t, "ring-allreduce", 4, kP, kS, {}, o);
  const auto without = predict(t, "ring-allreduce", 4, kP, kS);
  EXPECT_NEAR(with.localTermS, kPS / 4 * 2e-10, 1e-15);
  EXPECT_NEAR(with.timeS - without.timeS, kPS / 4 * 2e-10, 1e-12);
  // All-to-all copies its own gradient into the sum before its first message and scales the whole
  // sum after its last: two passes over p*s, the first one too (it once fell out of the sum).
  EXPECT_NEAR(predict(t, "all-to-all", 4, kP, kS, {}, o).localTermS, 2 * kPS * 2e-10, 1e-15);
  EXPECT_NEAR(predict(t, "all-to-all", 2, kP, kS, {}, o).localTermS, 2 * kPS * 2e-10, 1e-15);
  EXPECT_DOUBLE_EQ(parseTopology(std::string("copy: 0.2 ns/B\n") +
                                     "hosts: 1\ndevices_per_host: 1\n", "c.yaml").copySPerByte,
                   0.2e-9);
}

TEST(CostModel, MemoryPassesCostByTheirSize) {
  // gamma 0.01 ns/B for passes up to 1 MB (in the caches), 0.1 ns/B above; the ring of 4 reduces
  // p*s/4 per round, 3 rounds.
  const Topology t = parseTopology(
      "hosts: 1\ndevices_per_host: 4\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n"
      "gamma: {cost: 0.1 ns/B, pieces: [{up_to: 1000000, cost: 0.01 ns/B}]}\n", "g.yaml");
  ASSERT_EQ(t.gammaPieces.size(), 1u);
  PredictOptions o;
  o.gammaSPerByte = t.gammaSPerByte;
  o.gammaPieces = t.gammaPieces;
  EXPECT_NEAR(predict(t, "ring-allreduce", 4, 250'000, kS, {}, o).reduceTermS, 3 * 250e3 * 0.01e-9, 1e-15);
  EXPECT_NEAR(predict(t, "ring-allreduce", 4, 2'000'000, kS, {}, o).reduceTermS, 3 * 2e6 * 0.1e-9, 1e-15);
  // Passes of 1 MB inside a step over 4 MB: no cheaper than a pass of the step's 4 MB (inStep).
  EXPECT_NEAR(predict(t, "ring-allreduce", 4, 1'000'000, kS, {}, o).reduceTermS, 3 * 1e6 * 0.1e-9, 1e-15);
  // Each pass at its own size: with 2 workers all-to-all's copy and its scaling fall in one round,
  // two passes of 1 MB in the cheap piece, not one pass of 2 MB.
  const Topology c = parseTopology(
      "hosts: 1\ndevices_per_host: 2\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n"
      "copy: {cost: 0.1 ns/B, pieces: [{up_to: 1000000, cost: 0.01 ns/B}]}\n", "c.yaml");
  PredictOptions co;
  co.copySPerByte = c.copySPerByte;
  co.copyPieces = c.copyPieces;
  EXPECT_NEAR(predict(c, "all-to-all", 2, 250'000, kS, {}, co).localTermS, 2 * 1e6 * 0.01e-9, 1e-15);
  expectError("hosts: 1\ndevices_per_host: 1\ngamma: {cost: 1 ns/B, pieces: [{up_to: 0, cost: 1 ns/B}]}\n",
              "x.yaml: gamma.pieces[0].up_to: '0' is not a positive whole number of bytes");
  expectError("hosts: 1\ndevices_per_host: 1\ngamma: [1]\n", "x.yaml: gamma: must be a cost per byte");
}

TEST(CostModel, ReductionsIntoAThirdBufferCostGammaSum) {
  // The ring sums into a third buffer (3 rounds of p*s/4 with 4 workers); all-to-all adds in place
  // (3 adds of p*s). gamma_sum prices the first kind only; without it, gamma prices both.
  const Topology t = parseTopology(
      "hosts: 1\ndevices_per_host: 4\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n"
      "gamma: 0.1 ns/B\ngamma_sum: {cost: 0.3 ns/B, pieces: [{up_to: 1000, cost: 0.2 ns/B}]}\n", "s.yaml");
  EXPECT_DOUBLE_EQ(t.gammaSumSPerByte, 0.3e-9);
  ASSERT_EQ(t.gammaSumPieces.size(), 1u);
  PredictOptions o;
  o.gammaSPerByte = t.gammaSPerByte;
  o.gammaSumSPerByte = t.gammaSumSPerByte;
  o.gammaSumPieces = t.gammaSumPieces;
  EXPECT_NEAR(predict(t, "ring-allreduce", 4, kP, kS, {}, o).reduceTermS, 3 * kPS / 4 * 0.3e-9, 1e-12);
  EXPECT_NEAR(predict(t, "all-to-all", 4, kP, kS, {}, o).reduceTermS, 3 * kPS * 0.1e-9, 1e-12);
  o.gammaSumSPerByte = -1;
  EXPECT_NEAR(predict(t, "ring-allreduce", 4, kP, kS, {}, o).reduceTermS, 3 * kPS / 4 * 0.1e-9, 1e-12);
  EXPECT_LT(flatHost().gammaSumSPerByte, 0);  // absent
}

TEST(CostModel, PassesOfOneHostShareItsMemory) {
  // memory_parallelism 2 on a host of 4: the ring's 4 ranks sum in every round at once, each at
  // half its speed alone (4 / 2); the co-located server adds alone, at full speed; a host that
  // passes 4 at once at full speed shares nothing.
  const std::string host =
      "hosts: 1\ndevices_per_host: 4\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\ngamma: 0.1 ns/B\n";
  const Topology alone = parseTopology(host, "a.yaml");
  const Topology shared = parseTopology(host + "memory_parallelism: 2\n", "s.yaml");
  const Topology wide = parseTopology(host + "memory_parallelism: 4\n", "w.yaml");
  EXPECT_DOUBLE_EQ(shared.memoryParallelism, 2);
  EXPECT_EQ(alone.memoryParallelism, 0);
  PredictOptions o;
  o.gammaSPerByte = 0.1e-9;
  const double ring = predict(alone, "ring-allreduce", 4, kP, kS, {}, o).reduceTermS;
  EXPECT_NEAR(predict(shared, "ring-allreduce", 4, kP, kS, {}, o).reduceTermS, 2 * ring, 1e-12);
  EXPECT_DOUBLE_EQ(predict(wide, "ring-allreduce", 4, kP, kS, {}, o).reduceTermS, ring);
  AlgorithmOptions colocated;
  colocated.colocated = true;
  EXPECT_DOUBLE_EQ(predict(shared, "parameter-server", 4, kP, kS, colocated, o).reduceTermS,
                   predict(alone, "parameter-server", 4, kP, kS, colocated, o).reduceTermS);
  // 1.5 with 3 ranks reducing at once and one alone: the fluid share, not a flat factor.
  EXPECT_GT(predict(parseTopology(host + "memory_parallelism: 1.5\n", "f.yaml"), "ring-allreduce", 4,
                    kP, kS, {}, o).reduceTermS, 2.6 * ring);
  expectError(host + "memory_parallelism: 0.5\n",
              "x.yaml: memory_parallelism: '0.5' is not a number of ranks >= 1 (e.g. 1.8)");
  expectError(host + "memory_parallelism: many\n", "x.yaml: memory_parallelism: 'many' is not");
}

TEST(CostModel, SharedMemoryLatencyIsTheReceiversWork) {
  // intra_host.latency_shares_host: a receive's latency is its receiver's work after the wait,
  // shared by the host's ranks as their passes are. The ring's four ranks all receive in every
  // round: with memory_parallelism 2, each round's latency takes twice what the link would
  // charge. The co-located server receives its 3 workers' gradients alone (one rank working: the
  // link's latency), then its 3 workers receive at once (3 / 2 of it).
  const std::string host =
      "hosts: 1\ndevices_per_host: 4\nmemory_parallelism: 2\nintra_host:\n  bandwidth: 1000 GBps\n"
      "  latency: 10 us\n";
  const Topology link = parseTopology(host, "l.yaml");
  const Topology work = parseTopology(host + "  latency_shares_host: true\n", "w.yaml");
  EXPECT_FALSE(link.intraHost.latencySharesHost);
  EXPECT_TRUE(work.intraHost.latencySharesHost);
  const double alpha = 10e-6;
  const auto onLink = predict(link, "ring-allreduce", 4, kP, kS);
  const auto asWork = predict(work, "ring-allreduce", 4, kP, kS);
  EXPECT_NEAR(onLink.latencyTermS, 6 * alpha, 1e-12);  // 2(n-1) rounds
  EXPECT_NEAR(asWork.latencyTermS, 2 * onLink.latencyTermS, 1e-12);
  EXPECT_DOUBLE_EQ(asWork.bandwidthTermS, onLink.bandwidthTermS);
  EXPECT_DOUBLE_EQ(asWork.latencyS, alpha);  // the largest a message pays, wherever paid
  AlgorithmOptions colocated;
  colocated.colocated = true;
  EXPECT_NEAR(predict(work, "parameter-server", 4, kP, kS, colocated).latencyTermS,
              3 * alpha + 1.5 * alpha, 1e-12);
  // The latencies were timed with both ranks of a pair receiving at once: a pair pays them as
  // measured, whatever its host's parallelism below 2 (each receive is charged min(1, 1.25 / 2)
  // of it, and two at once share 1.25).
  const std::string pair =
      "hosts: 1\ndevices_per_host: 2\nmemory_parallelism: 1.25\nintra_host:\n  bandwidth: 1000 GBps\n"
      "  latency: 10 us\n";
  EXPECT_NEAR(predict(parseTopology(pair + "  latency_shares_host: true\n", "p.yaml"), "ring-allreduce", 2, kP, kS)
                  .latencyTermS,
              predict(parseTopology(pair, "p.yaml"), "ring-allreduce", 2, kP, kS).latencyTermS, 1e-12);
  expectError(host + "  latency_shares_host: maybe\n",
              "x.yaml: intra_host.latency_shares_host: 'maybe' is not true or false");
  expectError("hosts: 2\ndevices_per_host: 1\nfabric: {type: non-blocking}\n"
              "nic: {bandwidth: 1 GBps, latency: 1 us, latency_shares_host: true}\n",
              "x.yaml: nic.latency_shares_host: unknown key");
}

TEST(CostModel, WritingWhatAPeerReadCostsWriteAfterSend) {
  // A step after a step: the ring's sum writes its own chunk of the result, which its allgather
  // sent the step before (p*s/2 with 2 workers), and pays write_after_send on it. All-to-all and
  // recursive doubling send the gradient, never the result they write: nothing added.
  const std::string host =
      "hosts: 1\ndevices_per_host: 2\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\ngamma: 0.1 ns/B\n";
  const Topology plain = parseTopology(host, "p.yaml");
  const Topology shared = parseTopology(host + "write_after_send: 1 ns/B\n", "w.yaml");
  EXPECT_DOUBLE_EQ(shared.writeAfterSendSPerByte, 1e-9);
  PredictOptions o;
  o.gammaSPerByte = 0.1e-9;
  EXPECT_NEAR(predict(shared, "ring-allreduce", 2, kP, kS, {}, o).timeS -
                  predict(plain, "ring-allreduce", 2, kP, kS, {}, o).timeS,
              kPS / 2 * 1e-9, 1e-12);
  for (const char* name : {"all-to-all", "recursive-doubling"})
    EXPECT_DOUBLE_EQ(predict(shared, name, 2, kP, kS, {}, o).timeS, predict(plain, name, 2, kP, kS, {}, o).timeS)
        << name;
  expectError(host + "write_after_send: -1 ns/B\n", "x.yaml: write_after_send");
}

TEST(CostModel, TheDivisionAfterTheLastSumCostsScale) {
  // Every algorithm divides the result by n once, in place: all-to-all over p*s after copying its
  // gradient into the result (p*s), the ring over the chunk it owns (p*s/2 with 2 workers), after
  // no copy. scale prices the division; without it, copy prices both kinds.
  const std::string host = "hosts: 1\ndevices_per_host: 2\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n";
  const Topology t = parseTopology(host + "copy: 0.1 ns/B\nscale: {cost: 0.3 ns/B, pieces: [{up_to: 1000, cost: 0.2 ns/B}]}\n", "s.yaml");
  EXPECT_DOUBLE_EQ(t.scaleSPerByte, 0.3e-9);
  ASSERT_EQ(t.scalePieces.size(), 1u);
  PredictOptions o;
  o.copySPerByte = t.copySPerByte;
  o.scaleSPerByte = t.scaleSPerByte;
  o.scalePieces = t.scalePieces;
  EXPECT_NEAR(predict(t, "all-to-all", 2, kP, kS, {}, o).localTermS, kPS * (0.1e-9 + 0.3e-9), 1e-12);
  EXPECT_NEAR(predict(t, "ring-allreduce", 2, kP, kS, {}, o).localTermS, kPS / 2 * 0.3e-9, 1e-12);
  o.scaleSPerByte = -1;
  EXPECT_NEAR(predict(t, "all-to-all", 2, kP, kS, {}, o).localTermS, kPS * 2 * 0.1e-9, 1e-12);
  EXPECT_LT(parseTopology(host, "p.yaml").scaleSPerByte, 0);  // absent
  expectError(host + "scale: -1 ns/B\n", "x.yaml: scale");
}

TEST(CostModel, TheSgdStepCostsSgd) {
  // The co-located server adds the n-1 gradients it receives at gamma, then updates the
  // parameters (p*s) with its SGD step at sgd; without sgd, at gamma.
  const std::string host = "hosts: 1\ndevices_per_host: 2\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\n";
  const Topology t = parseTopology(host + "sgd: {cost: 0.5 ns/B, pieces: [{up_to: 1000, cost: 0.3 ns/B}]}\n", "s.yaml");
  EXPECT_DOUBLE_EQ(t.sgdSPerByte, 0.5e-9);
  ASSERT_EQ(t.sgdPieces.size(), 1u);
  PredictOptions o;
  o.gammaSPerByte = 0.1e-9;
  o.sgdSPerByte = t.sgdSPerByte;
  o.sgdPieces = t.sgdPieces;
  AlgorithmOptions colocated;
  colocated.colocated = true;
  EXPECT_NEAR(predict(t, "parameter-server", 2, kP, kS, colocated, o).reduceTermS, kPS * (0.1e-9 + 0.5e-9), 1e-12);
  EXPECT_NEAR(predict(t, "parameter-server", 2, 200, kS, colocated, o).reduceTermS, 800 * (0.1e-9 + 0.3e-9), 1e-18);
  o.sgdSPerByte = -1;
  EXPECT_NEAR(predict(t, "parameter-server", 2, kP, kS, colocated, o).reduceTermS, kPS * 2 * 0.1e-9, 1e-12);
  EXPECT_LT(parseTopology(host, "p.yaml").sgdSPerByte, 0);  // absent
}

TEST(CostModel, SendsArePricedByWhatTheSenderWrote) {
  // A step after a step, 2 workers on one host. The ring's first round sends a chunk of the
  // gradient (p*s/2, which the rank only reads: send_unwritten), its second the chunk it has just
  // summed and divided (send_written). All-to-all and recursive doubling send the gradient alone;
  // the co-located server sends the parameters its SGD step wrote, its worker the gradient.
  // Between hosts nothing is added.
  const std::string host =
      "hosts: 1\ndevices_per_host: 2\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\ngamma: 0.1 ns/B\n";
  const std::string states = "send_written: 1 ns/B\nsend_unwritten: {cost: 0.25 ns/B, pieces: [{up_to: 1000, cost: 2 ns/B}]}\n";
  const Topology plain = parseTopology(host, "p.yaml");
  const Topology priced = parseTopology(host + states, "w.yaml");
  EXPECT_DOUBLE_EQ(priced.sendWrittenSPerByte, 1e-9);
  ASSERT_EQ(priced.sendUnwrittenPieces.size(), 1u);
  PredictOptions o;
  o.gammaSPerByte = 0.1e-9;
  const auto added = [&](const Topology& with, const Topology& without, const char* name, bool colocated = false) {
    AlgorithmOptions a;
    a.colocated = colocated;
    return predict(with, name, 2, kP, kS, a, o).timeS - predict(without, name, 2, kP, kS, a, o).timeS;
  };
  EXPECT_NEAR(added(priced, plain, "ring-allreduce"), kPS / 2 * (0.25e-9 + 1e-9), 1e-12);
  for (const char* name : {"all-to-all", "recursive-doubling"})
    EXPECT_NEAR(added(priced, plain, name), kPS * 0.25e-9, 1e-12) << name;
  EXPECT_NEAR(added(priced, plain, "parameter-server", true), kPS * (0.25e-9 + 1e-9), 1e-12);
  // A message of at most 1000 bytes pays the piece's figure.
  EXPECT_NEAR(predict(priced, "all-to-all", 2, 250, kS, {}, o).timeS - predict(plain, "all-to-all", 2, 250, kS, {}, o).timeS,
              1000 * 2e-9, 1e-15);
  const std::string apart =
      "hosts: 2\ndevices_per_host: 1\nnic: {bandwidth: 1 GBps, latency: 1 us}\n"
      "fabric: {type: non-blocking, switch_latency: 0 us}\ngamma: 0.1 ns/B\n";
  EXPECT_DOUBLE_EQ(added(parseTopology(apart + states, "a.yaml"), parseTopology(apart, "b.yaml"), "ring-allreduce"), 0);
  expectError(host + "send_written: -1 ns/B\n", "x.yaml: send_written");
}

TEST(CostModel, InsideAStepASendsStateCostsWhatItDoesAtTheStepsSize) {
  // The state's surcharges by size: what was just written costs 1 ns/B more up to 300 KB and
  // nothing above, what was only read nothing up to 300 KB and 0.5 ns/B above (on this machine
  // the written state cost 2x at 64-256 KiB, the read one 1.1-1.3x from 1 MiB). Inside a step
  // every size up to the step's pays the step's surcharge, whichever way it goes (inStep).
  const std::string host =
      "hosts: 1\ndevices_per_host: 4\nintra_host: {bandwidth: 1 GBps, latency: 1 us}\ngamma: 0.1 ns/B\n";
  const Topology byState = parseTopology(
      host + "send_written: {cost: 0 ns/B, pieces: [{up_to: 300000, cost: 1 ns/B}]}\n"
             "send_unwritten: {cost: 0.5 ns/B, pieces: [{up_to: 300000, cost: 0 ns/B}]}\n",
      "states.yaml");
  PredictOptions o;
  o.gammaSPerByte = 0.1e-9;
  const auto time = [&](const Topology& t, long long p) { return predict(t, "ring-allreduce", 4, p, kS, {}, o).timeS; };
  // A 1 MB step: its 250 KB chunks pay the read state's 0.5 ns/B, and nothing for the written one,
  // as if both were flat at the 1 MB figures.
  EXPECT_NEAR(time(byState, 250'000), time(parseTopology(host + "send_unwritten: 0.5 ns/B\n", "big.yaml"), 250'000), 1e-15);
  // A 200 KB step: its 50 KB chunks pay the written state's 1 ns/B, as the pieces say.
  EXPECT_NEAR(time(byState, 50'000), time(parseTopology(host + "send_written: 1 ns/B\n", "small.yaml"), 50'000), 1e-15);
  EXPECT_GT(time(byState, 50'000), time(parseTopology(host, "none.yaml"), 50'000));

  // The curve itself: split at the step's size, every piece up to it at the step's figure, lower
  // or higher than its own (not a floor, as a pass's cost is); above it as it was.
  const PassCost written{0, {{300'000, 1e-9}}};
  EXPECT_DOUBLE_EQ(written.surchargeInStep(1'000'000).of(1000), 0);
  EXPECT_DOUBLE_EQ(written.surchargeInStep(100'000).of(1000), 1000 * 1e-9);
  const PassCost read{0.5e-9, {{300'000, 0}}};
  EXPECT_DOUBLE_EQ(read.surchargeInStep(1'000'000).of(1000), 1000 * 0.5e-9);
  EXPECT_DOUBLE_EQ(read.surchargeInStep(1'000'000).of(2'000'000), 2'000'000 * 0.5e-9);
  EXPECT_DOUBLE_EQ(read.surchargeInStep(100'000).of(200'000), 0);
  EXPECT_TRUE((PassCost{1e-9, {}}.surchargeInStep(1000).pieces.empty()));  // one figure at every size
}

TEST(CostModel, OneWorkerMovesNothing) {
  const Topology t = flatHost();
  for (const char* k : {"all-to-all", "ring-allreduce"}) {
    const auto r = predict(t, k, 1, kP, kS);
    EXPECT_EQ(r.timeS, 0);
    EXPECT_EQ(r.algbwBps, 0);
    EXPECT_EQ(r.bottleneck, "none");
  }
}

TEST(CostModel, TooManyWorkersNamesTheFigures) {
  const Topology t = flatHost();
  try {
    predict(t, "parameter-server", 4, kP, kS);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("4 workers do not fit flat.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find("needs 5 slots (4 workers + 1 dedicated server)"), std::string::npos) << m;
    EXPECT_NE(m.find("holds 4"), std::string::npos) << m;
  }
  EXPECT_THROW(predict(t, "ring-allreduce", 5, kP, kS), UsageError);
  EXPECT_THROW(predict(t, "ring-allreduce", 0, kP, kS), UsageError);
}

// Two hosts of two devices: devices at 10 GBps / 1 us, one 1 GBps NIC per host at 5 us, one
// switch of 1 us between hosts. Workers fill host 0 (slots 0, 1), then host 1 (slots 2, 3).
Topology twoHosts(int nics) {
  return parseTopology("hosts: 2\ndevices_per_host: 2\n"
                       "intra_host: {bandwidth: 10 GBps, latency: 1 us}\n"
                       "nic: {bandwidth: 1 GBps, latency: 5 us, count: " + std::to_string(nics) + "}\n"
                       "fabric: {type: non-blocking, switch_latency: 1 us}\n",
                       "two.yaml");
}

TEST(CostModel, HierarchicalSlowestLinkAndPathLatency) {
  const double a = 5e-6 + 1e-6;  // NIC + one switch: the slowest path
  // Ring 0->1->2->3->0: two hops cross the NICs, one message each way per host, so B = 1 GBps.
  auto r = predict(twoHosts(1), "ring-allreduce", 4, kP, kS);
  expectTime(r, 6 * (a + kPS / (4 * 1e9)));
  EXPECT_DOUBLE_EQ(r.latencyS, a);
  EXPECT_EQ(r.bottleneck, "nic");
  // Two workers on one host never leave it.
  r = predict(twoHosts(1), "ring-allreduce", 2, kP, kS);
  expectTime(r, 2 * (1e-6 + kPS / (2 * 10e9)));
  EXPECT_EQ(r.bottleneck, "intra-host");
}

TEST(CostModel, AllToAllSharesTheHostNic) {
  const double a = 6e-6;
  // Each worker sends 2 gradients off-host; both workers of a host share its one NIC: 4 p s
  // through 1 GBps, while each worker's closed form counts (n-1) = 3 p s, so B = 0.75 GBps.
  auto r = predict(twoHosts(1), "all-to-all", 4, kP, kS);
  expectTime(r, 3 * a + 4 * kPS / 1e9);
  EXPECT_DOUBLE_EQ(r.bandwidthBps, 0.75e9);
  EXPECT_EQ(r.bottleneck, "host-nics");
  EXPECT_DOUBLE_EQ(r.linkBandwidthBps, 1e9);
  // With a NIC per device, each of the n-1 rounds takes a worker's one gradient off-host at
  // 1 GBps (round by round, as the code waits): 3 s, so B = 1 GBps.
  r = predict(twoHosts(2), "all-to-all", 4, kP, kS);
  expectTime(r, 3 * a + 3 * kPS / 1e9);
  EXPECT_DOUBLE_EQ(r.bandwidthBps, 1e9);
}

TEST(CostModel, ParameterServerPlacedOnTheNextSlot) {
  // Workers 0, 1 on host 0, worker 2 and the server (slot 3) on host 1. The server receives one
  // gradient at a time: two through its NIC at 1 GBps (1 s each), one over the device link at
  // 10 GBps; then it sends all three at once, two through its NIC: 2 s.
  const auto r = predict(twoHosts(1), "parameter-server", 3, kP, kS);
  expectTime(r, 3 * 6e-6 + 1e-6 + (1 + 1 + 0.1 + 2) * kPS / 1e9);
  EXPECT_EQ(r.bottleneck, "nic");
  EXPECT_EQ(r.hostsUsed, 2);
}

TEST(CostModel, OversubscribedCoreDividesByTheRatioUnderLoad) {
  const Topology t = parseTopology(
      "hosts: 4\ndevices_per_host: 1\nnic: {bandwidth: 1 GBps, latency: 2 us}\n"
      "fabric: {type: oversubscribed, oversubscription: 2}\n",
      "over.yaml");
  const double a = 2e-6;
  // All four hosts send at once: the core carries 4 GBps of demand at 2 GBps, B = 1/2 GBps.
  auto r = predict(t, "all-to-all", 4, kP, kS);
  expectTime(r, 3 * a + 3 * kPS / 0.5e9);
  EXPECT_EQ(r.bottleneck, "core");
  r = predict(t, "ring-allreduce", 4, kP, kS);
  expectTime(r, 6 * (a + kPS / (4 * 0.5e9)));
  // Two hosts of four fit in the core's 2 GBps: the NIC rate holds.
  r = predict(t, "ring-allreduce", 2, kP, kS);
  expectTime(r, 2 * (a + kPS / (2 * 1e9)));
  EXPECT_EQ(r.bottleneck, "nic");
}

TEST(CostModel, FatTreeLeafUplinksAndHops) {
  // Two leaves of two hosts; each leaf's uplinks carry 2 * 1 GBps / 2 = 1 GBps.
  const Topology t = parseTopology(
      "hosts: 4\ndevices_per_host: 1\nnic: {bandwidth: 1 GBps, latency: 2 us}\n"
      "fabric: {type: fat-tree, hosts_per_leaf: 2, oversubscription: 2, switch_latency: 1 us}\n",
      "tree.yaml");
  const double sameLeaf = 2e-6 + 1e-6, acrossLeaves = 2e-6 + 3e-6;
  auto r = predict(t, "ring-allreduce", 2, kP, kS);
  expectTime(r, 2 * (sameLeaf + kPS / (2 * 1e9)));
  // A ring sends one message a step up each leaf: the taper does not bite.
  r = predict(t, "ring-allreduce", 4, kP, kS);
  expectTime(r, 6 * (acrossLeaves + kPS / (4 * 1e9)));
  // All-to-all sends 4 p s up each leaf's 1 GBps: B = 3/4 GBps.
  r = predict(t, "all-to-all", 4, kP, kS);
  expectTime(r, 3 * acrossLeaves + 4 * kPS / 1e9);
  EXPECT_EQ(r.bottleneck, "leaf-uplinks");
}

TEST(CostModel, UnknownAlgorithmNamesTheAllowed) {
  try {
    makeAlgorithm("allreduce");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'allreduce'"), std::string::npos);
    for (const auto& name : algorithmNames())
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << name;
  }
}

// On one flat link the model, laying the algorithm's recorded rounds on the link, gives the
// algorithm's own closed form (Paradigm::alphaBeta): the two descriptions cannot drift apart.
// p is a multiple of every n used, so every chunk is the same size.
TEST(CostModel, RecordedScheduleGivesEachAlgorithmsClosedForm) {
  const Topology t = parseTopology("hosts: 1\ndevices_per_host: 64\n"
                                   "intra_host: {bandwidth: 1 GBps, latency: 1 us}\n",
                                   "flat64.yaml");
  const double a = 1e-6, B = 1e9, g = 1e-10;
  const std::uint64_t p = 720720 * 16;  // divisible by 1..16 and by 2^k segments
  const double ps = static_cast<double>(p) * 4;
  for (const auto& name : algorithmNames()) {
    for (int n : {1, 2, 3, 4, 5, 6, 7, 8, 12, 16})
    for (int segments : {1, 3, 16}) {
      if (segments > 1 && name != "binary-tree") continue;
      AlgorithmOptions o;
      o.segments = segments;
      if (name == "hierarchical-ring" && n % 4 == 0) o.ranksPerHost = 4;
      const auto algorithm = makeAlgorithm(name, o);
      const Layout layout = modelLayout(t, *algorithm, n);
      const AlphaBeta ab = algorithm->alphaBeta(layout);
      EXPECT_FALSE(ab.formula.empty()) << name;
      PredictOptions po;
      po.gammaSPerByte = g;
      const Prediction r = commsim::predict(t, *algorithm, n, p, 4, po);
      const double want = ab.alphas * a + ab.bandwidthUnits * ps / B + ab.reduceUnits * ps * g;
      EXPECT_NEAR(r.latencyTermS, ab.alphas * a, 1e-15) << name << " n=" << n;
      EXPECT_NEAR(r.bandwidthTermS, ab.bandwidthUnits * ps / B, 1e-12) << name << " n=" << n;
      EXPECT_NEAR(r.reduceTermS, ab.reduceUnits * ps * g, 1e-12) << name << " n=" << n;
      EXPECT_NEAR(r.timeS, want, want * 1e-9 + 1e-15) << name << " n=" << n;
    }
  }
}

// The recorded schedule is the code's: its messages and bytes are the algorithm's closed form.
TEST(Schedule, RecordsWhatTheCodeSends) {
  for (const auto& name : algorithmNames()) {
    for (int n : {2, 3, 5, 8}) {
      for (std::uint64_t p : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{1000003}}) {
        const auto algorithm = makeAlgorithm(name);
        Layout layout;
        layout.workers = n;
        layout.servers = algorithm->dedicatedServers();
        layout.worldSize = n + layout.servers;
        const Schedule s = recordSchedule(*algorithm, layout, p, 4);
        const Expectation e = algorithm->expect(layout, p, 4);
        std::uint64_t bytes = 0;
        for (const auto& m : s.messages) bytes += m.bytes;
        EXPECT_EQ(s.messages.size(), e.messages) << name << " n=" << n << " p=" << p;
        EXPECT_EQ(bytes, e.totalBytes) << name << " n=" << n << " p=" << p;
        for (int r = 0; r + 1 <= s.rounds; ++r)
          EXPECT_LE(s.roundBegin[static_cast<std::size_t>(r)], s.roundBegin[static_cast<std::size_t>(r) + 1]);
      }
    }
  }
  // The ring's rounds are its 2(n-1) steps, n messages each.
  Layout ring{4, 4, 0};
  const Schedule s = recordSchedule(*makeAlgorithm("ring-allreduce"), ring, 400, 4);
  EXPECT_EQ(s.rounds, 6);
  for (int r = 0; r < 6; ++r)
    EXPECT_EQ(s.roundBegin[static_cast<std::size_t>(r) + 1] - s.roundBegin[static_cast<std::size_t>(r)], 4u);
}

// Every algorithm keeps the transport contract (commsim/transport.hpp) for every n, powers of two
// or not: its waits complete under NCCL's group rule and its messages match without tags.
TEST(Schedule, EveryAlgorithmKeepsTheTransportContract) {
  for (const auto& name : algorithmNames()) {
    for (int n = 1; n <= 17; ++n) {
      for (std::uint64_t p : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{1000}}) {
        const auto algorithm = makeAlgorithm(name);
        Layout layout;
        layout.workers = n;
        layout.servers = algorithm->dedicatedServers();
        layout.worldSize = n + layout.servers;
        EXPECT_NO_THROW(recordSchedule(*algorithm, layout, p, 4)) << name << " n=" << n << " p=" << p;
      }
    }
  }
}

// Two broken steps the contract refuses: each rank waits for the other's message before sending
// its own (a deadlock however the transport runs), and receives in another order than the peer
// sent, matched only by tags.
class Broken final : public Paradigm {
 public:
  explicit Broken(bool reorder) : reorder_(reorder) {}
  std::string_view name() const override { return "broken"; }
  Expectation expect(const Layout&, std::uint64_t, std::size_t) const override { return {}; }
  double busbwFactor(const Layout&) const override { return 0; }
  void run(StepContext& c) const override {
    Transport& t = c.transport;
    const int peer = 1 - t.rank();
    if (!reorder_) {
      Request r = t.irecv(c.scratch, 4, peer, kTagGradient);
      t.wait(r);
      Request s = t.isend(c.grad, 4, peer, kTagGradient);
      t.wait(s);
      return;
    }
    Request r[2];
    if (t.rank() == 0) {
      r[0] = t.isend(c.grad, 4, peer, kTagReduceScatter);
      r[1] = t.isend(c.grad, 4, peer, kTagAllGather);
    } else {
      r[0] = t.irecv(c.scratch, 4, peer, kTagAllGather);
      r[1] = t.irecv(c.out, 4, peer, kTagReduceScatter);
    }
    t.waitAll(r);
  }

 private:
  bool reorder_;
};

TEST(Schedule, RefusesCodeThatBreaksTheContract) {
  const Layout two{2, 2, 0};
  try {
    recordSchedule(Broken(false), two, 1, 4);
    ADD_FAILURE() << "no error for a deadlock";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
  }
  try {
    recordSchedule(Broken(true), two, 1, 4);
    ADD_FAILURE() << "no error for messages matched by tags alone";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another order"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace commsim
