// The SimGrid platform a topology exports to (no SimGrid needed: the XML is checked as text; the
// simgrid-labelled tests run SimGrid on it).
#include <gtest/gtest.h>

#include <string>

#include "commsim/error.hpp"
#include "commsim/platform.hpp"
#include "commsim/topology.hpp"
#include "process.hpp"

namespace commsim {
namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The first value of attribute `name` (e.g. lat="1e-06s"), as a number with its unit removed.
double number(const std::string& xml, const std::string& name) {
  const auto at = xml.find(" " + name + "=\"");
  if (at == std::string::npos) return -1;
  return std::stod(xml.substr(at + name.size() + 3));
}

TEST(Platform, FlatNetworkIsOneClusterWithAlphaSplitOverTheTwoDeviceLinks) {
  // 50 us NIC + 10 us switch: each direction of a route is up link + down link = 60 us.
  const Topology t = parseTopology(
      "hosts: 4\ndevices_per_host: 1\nnic: {bandwidth: 1 Gbps, latency: 50 us}\n"
      "fabric: {type: non-blocking, switch_latency: 10 us}\n", "flat.yaml");
  const std::string xml = simgridPlatform(t);
  EXPECT_NE(xml.find("<platform version=\"4.1\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("prefix=\"slot-\" suffix=\"\" radical=\"0-3\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("bw=\"125000000Bps\""), std::string::npos) << xml;
  EXPECT_NEAR(number(xml, "lat"), 30e-6, 1e-18) << xml;
  EXPECT_NE(xml.find("sharing_policy=\"SPLITDUPLEX\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find("bb_bw"), std::string::npos) << "a non-blocking switch never limits";
  EXPECT_EQ(simgridHostfile(3), "slot-0\nslot-1\nslot-2\n");
}

TEST(Platform, OversubscribedCoreIsASharedBackbone) {
  const Topology t = parseTopology(
      "hosts: 8\ndevices_per_host: 1\nnic: {bandwidth: 8 Gbps, latency: 2 us}\n"
      "fabric: {type: oversubscribed, oversubscription: 4, switch_latency: 1 us}\n", "over.yaml");
  const std::string xml = simgridPlatform(t);
  // 8 hosts * 1e9 B/s / 4 = 2e9 B/s shared by every message between hosts.
  EXPECT_NE(xml.find("bb_bw=\"2000000000Bps\" bb_sharing_policy=\"SHARED\""), std::string::npos) << xml;
  EXPECT_NEAR(number(xml, "bb_lat"), 1e-6, 1e-18) << xml;
  EXPECT_NEAR(number(xml, "lat"), 1e-6, 1e-18) << "2 us NIC latency over two links" << xml;
}

TEST(Platform, FatTreeIsSimGridsTwoLevelFatTree) {
  const Topology t = parseTopology(
      "hosts: 64\ndevices_per_host: 1\nnic: {bandwidth: 100 Gbps, latency: 2 us}\n"
      "fabric: {type: fat-tree, hosts_per_leaf: 8, oversubscription: 2, switch_latency: 0 us}\n",
      "ft.yaml");
  const std::string xml = simgridPlatform(t);
  // 8 leaves of 8 hosts, 4 uplinks each (2:1), one per spine.
  EXPECT_NE(xml.find("topology=\"FAT_TREE\" topo_parameters=\"2;8,8;1,4;1,1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("radical=\"0-63\""), std::string::npos) << xml;
  // Four links between leaves add up to the NIC latency.
  EXPECT_NEAR(number(xml, "lat"), 0.5e-6, 1e-18) << xml;
}

TEST(Platform, MultiDeviceHostsGetARouteForEveryPairOfSlots) {
  const Topology t = parseTopology(
      "hosts: 2\ndevices_per_host: 4\nintra_host: {bandwidth: 100 GBps, latency: 1 us}\n"
      "nic: {bandwidth: 100 Gbps, latency: 4 us, count: 2}\n"
      "fabric: {type: non-blocking, switch_latency: 1 us}\n", "multi.yaml");
  const std::string xml = simgridPlatform(t);
  EXPECT_NE(xml.find("routing=\"Full\""), std::string::npos);
  EXPECT_EQ(occurrences(xml, "<host id="), 8u);
  EXPECT_EQ(occurrences(xml, "<route "), 8u * 7u);
  // Same host: the two device links. Across hosts: NIC, the host's shared NICs (2 for 4 devices),
  // the switch, and the same on the other side.
  EXPECT_NE(xml.find("<route src=\"slot-0\" dst=\"slot-1\" symmetrical=\"NO\"><link_ctn id=\"intra-0\" "
                     "direction=\"UP\"/><link_ctn id=\"intra-1\" direction=\"DOWN\"/></route>"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("<route src=\"slot-0\" dst=\"slot-4\" symmetrical=\"NO\"><link_ctn id=\"nic-0\" "
                     "direction=\"UP\"/><link_ctn id=\"host-nics-0\" direction=\"UP\"/><link_ctn "
                     "id=\"switch\"/><link_ctn id=\"host-nics-1\" direction=\"DOWN\"/><link_ctn "
                     "id=\"nic-4\" direction=\"DOWN\"/></route>"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("<link id=\"host-nics-0\" bandwidth=\"25000000000Bps\""), std::string::npos) << xml;
}

TEST(Platform, TooManyExplicitRoutesIsBadInput) {
  const Topology t = parseTopology(
      "hosts: 64\ndevices_per_host: 8\nintra_host: {bandwidth: 100 GBps, latency: 1 us}\n"
      "nic: {bandwidth: 100 Gbps, latency: 4 us}\nfabric: {type: non-blocking}\n", "big.yaml");
  try {
    simgridPlatform(t);
    FAIL() << "512 slots of multi-device hosts exported";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("512 slots"), std::string::npos) << e.what();
  }
}

TEST(PlatformCli, WritesThePlatformAndAHostfile) {
  const std::string out = ::testing::TempDir() + "/commsim-platform.xml";
  const auto r = test::runProcess(test::commsim(
      {"platform", "--topology", std::string(COMMSIM_SOURCE_DIR) + "/topologies/testnet.yaml",
       "-o", out, "--hostfile-ranks", "3"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto bad = test::runProcess(test::commsim(
      {"platform", "--topology", std::string(COMMSIM_SOURCE_DIR) + "/topologies/testnet.yaml",
       "-o", out, "--hostfile-ranks", "6"}));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--hostfile-ranks: 6"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace commsim
