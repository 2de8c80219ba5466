// `commsim calibrate`: measures on the machine at hand, over the transport the other commands
// use, what the cost model (SPEC §4) needs, and writes it as a topology file (docs/topologies.md):
//
// - the time for two ranks of one host and, when the job spans hosts, of two hosts, to exchange a
//   message of each size from 8 bytes to -e (every factor of 4), both sending at once; the link is
//   α + m/B with the link busy both ways, as the paradigms use it, per message-size interval
//   where one line does not hold (fitPiecewiseLink, SPEC §13): the top interval gives the link's
//   latency and bandwidth, the others its pieces;
// - with four or more ranks on rank 0's host, every pair of them exchanging -e bytes at once: what
//   the host's copies share (intra_host.shared_bandwidth);
// - the memory passes' costs per byte, by the pass's size, in the rank's memory space: γ (an add
//   in place of what a pair just exchanged), γ_sum (its sum into a third buffer) and a copy; with
//   several ranks on a host, rank 0's alone, and how many of the host's ranks pass at once at
//   that speed (memory_parallelism, from the same passes with every rank at once).
//
// Each figure comes from the fastest of the repetitions: what else runs on the machine can only
// add time, and the file describes the machine, not its load. (With the median, a 2-core machine
// running other jobs once timed 4 MiB at 8.3 ms and 16 MiB at 7.5 ms, a negative slope.) The
// medians are kept beside them, in the comments and the JSON, so the spread is visible. One
// exception: write_after_send is the difference of two median passes (writeAfterSendSurcharge).
//
// The file's comments keep every measured time, the ranks, hosts and transport, so a prediction
// made from it can be traced back to what was measured.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "calibrate.hpp"
#include "commands.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/memory.hpp"
#include "core/progress.hpp"
#include "core/size_parse.hpp"
#include "launch.hpp"
#include "model/link_fit.hpp"
#include "model/result_import.hpp"
#include "output.hpp"
#include "selection.hpp"

namespace commsim::cli {

namespace {

constexpr int kWarmupAdds = 3;
constexpr std::uint64_t kSmallest = 8;          // the latency probe
constexpr std::uint64_t kLeastLargest = 64 << 10;  // below this, bandwidth is all latency

struct CalibrateOptions {
  std::string maxBytes = "64M";
  std::string iterations = "20";
  std::string name = "calibrated";
  std::string output;    // the topology file; stdout when empty
  std::string jsonFile;  // the measurements as JSON
  std::vector<std::string> from;  // fit results users have instead of measuring (--from)
  int ranks = 0;                  // what those results do not say (ImportHints)
  int hosts = 0;
  LaunchOptions launch;
};

// One link as measured: the time to exchange a message of each size, and the link fitted to it.
struct Measured {
  const char* between;   // "one host", "two hosts"
  int from = 0;             // rank 0
  std::vector<int> peers;    // the ranks it exchanged with, in turn
  std::vector<std::uint64_t> sizes;
  std::vector<int> peerOf;       // at each size, the peer of the fastest exchange (whose figures these are)
  std::vector<double> timeS;     // the fastest exchange of each size, in the faster state
  std::vector<double> medianS;   // the median one of what each rank had just written
  std::vector<double> writtenS;  // the fastest exchange of what each rank had just written
  std::vector<double> readS;     // of what it had only read (empty: not timed)
  Link fitted;                  // set by fit()
  double latencyS() const { return fitted.latencyS; }
  double bandwidthBps() const { return fitted.bandwidthBps; }
};

double fastest(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// 8 bytes, then every factor of 4 from 1 KiB up to and including `largest`.
std::vector<std::uint64_t> probeSizes(std::uint64_t largest) {
  std::vector<std::uint64_t> sizes{kSmallest};
  for (std::uint64_t m = 1024; m < largest; m *= 4) sizes.push_back(m);
  sizes.push_back(largest);
  return sizes;
}

// Rank a exchanges messages of each size with each of `peers` in turn: both send one to the
// other at once, as every rank of the ring and of an all-to-all round does, so the link is timed
// with both directions in use, which is what the model's full-duplex B means (on one host both
// copies share the memory system; over a network each direction has its own wire). Collective:
// the other ranks only take part in the barriers and in sharing a's result.
//
// In turn with every peer because with more ranks than cores a pair can share a core, and its
// every exchange then waits for the scheduler: with 4 ranks on this 2-core machine, ranks 0 and 1
// placed on one core by the kernel for a whole calibration (1 job in 14; reproduced with
// taskset) exchanged 64 KiB in 8.7 us and 64 MiB in 18.4 ms, ranks on two cores in 3.7 us and
// 9.6 ms, and that job's predictions were 2x too slow while its steps were not. The link is what
// two ranks on their own cores move; a step's ranks sharing cores is the host's sharing
// (memory_parallelism, shared_bandwidth). Each size's figures are those of the peer with the
// fastest exchange (`peerOf`), so a link's states and medians come from one pair.
//
// Each round exchanges every size in turn, smallest first, so each size's repetitions are spread
// over the whole measurement rather than bunched: on a busy machine the two ranks drift in and out
// of being scheduled together for tens of milliseconds, and a size timed only inside one such
// stretch has no fast exchange at all. (Timed size by size in the sanitizer build, with two other
// processes busy on a 2-core machine, the fastest of 10 exchanges of 4 MiB once took 7.9 ms, of
// 16 MiB 1.9 ms.) Before each timed exchange untimed ones of the same size bring the two ranks
// together and the size's buffers back into the caches: timed right after the round's barrier,
// 8 bytes took 4 us instead of 0.35 (how late the peer left the barrier); after one untimed
// exchange 0.55 us (the 64 MiB exchange before it had flushed the caches), after four 0.35 again.
// Four cost nothing up to kLeastLargest; above it one is enough against its own transfer time.
//
// Then the exchange is timed with what is sent in each of the two states a step sends from. Just
// written: in a step, a sum's result or what the rank received sits modified in its caches (a
// ring's every send after its first). Only read since it was last sent: the gradient, which the
// rank reads for its own sum between one step's sends and the next. On this 2-core machine a
// 64 KiB exchange took 6.9 us written and 3.5 us read, 256 KiB 19.7 and 8.3, and from 1 MiB the
// other way round, 4 MiB 294 and 331-358 us (2026-12-03); recursive doubling's sends of the
// gradient, traced in steps, took 4.6 us at 64 KiB and 12.5 at 256 KiB, near the read state and
// between the two. Over a network (`bothStates` false) only the written state is timed.
//
// `timeS` is the faster of the two at each size (the link's pieces are fitted to it), and
// `writtenS` and `readS` what each state took (`readS` empty when not timed).
Measured exchange(Transport& t, MemorySpace& memory, Buffer& out, Buffer& in, const char* between,
                  int a, const std::vector<int>& peers, const std::vector<std::uint64_t>& sizes,
                  int iterations, bool bothStates) {
  const int me = t.rank();
  // [peer][size]: the samples of each pair, kept apart so that each size's figures are one pair's.
  using Samples = std::vector<std::vector<double>>;
  std::vector<Samples> written(peers.size(), Samples(sizes.size()));
  std::vector<Samples> read(peers.size(), Samples(sizes.size()));
  const int rounds = iterations * static_cast<int>(peers.size());  // `iterations` with each peer
  for (int i = 0; i < rounds; ++i) {
    progress::enter("exchanging messages", "calibrate");
    t.barrier();
    const std::size_t k = static_cast<std::size_t>(i) % peers.size();
    const int b = peers[k];
    if (me != a && me != b) continue;
    const int peer = me == a ? b : a;
    // Send, then receive, as the paradigms post them. (Over Open MPI's TCP transport the other
    // order moved 8 MiB at 0.45x the rate of a shaped link, the paradigms' order at 1x.)
    const auto once = [&](std::uint64_t bytes) {
      Request r[2] = {t.isend(out.data(), bytes, peer, kTagCalibrate),
                      t.irecv(in.data(), bytes, peer, kTagCalibrate)};
      t.waitAll(r);
    };
    const auto timed = [&](std::uint64_t bytes, std::vector<double>& samples) {
      memory.synchronize();
      const double start = t.now();
      once(bytes);
      samples.push_back(t.now() - start);
    };
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      for (int w = 0; w < (sizes[s] <= kLeastLargest ? 4 : 1); ++w) once(sizes[s]);
      if (bothStates) {
        memory.copy(in.data(), out.data(), sizes[s]);  // reads what was sent; `in` written, as a receive leaves it
        timed(sizes[s], read[k][s]);
      }
      memory.copy(in.data(), out.data(), sizes[s]);
      memory.copy(out.data(), in.data(), sizes[s]);  // what is sent, written
      timed(sizes[s], written[k][s]);
    }
  }
  Measured m{between, a, peers, sizes, {}, {}, {}, {}, {}, {}};
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    // On rank a: the pair whose faster state was fastest (a peer without a turn has no samples).
    double result[] = {0.0, 0.0, 0.0, 0.0};  // written, its median, read, the peer
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; me == a && k < peers.size(); ++k) {
      if (written[k][s].empty()) continue;
      const double w = fastest(written[k][s]), r = bothStates ? fastest(read[k][s]) : w;
      if (std::min(w, r) >= best) continue;
      best = std::min(w, r);
      result[0] = w;
      result[1] = median(written[k][s]);
      result[2] = r;
      result[3] = peers[k];
    }
    t.allreduce(result, ReduceOp::Max);
    m.writtenS.push_back(result[0]);
    m.medianS.push_back(result[1]);
    if (bothStates) m.readS.push_back(result[2]);
    m.timeS.push_back(bothStates ? std::min(result[0], result[2]) : result[0]);
    m.peerOf.push_back(static_cast<int>(result[3]));
  }
  return m;
}

// Seconds per byte of one pass over `bytes` of memory (`pass` does it), every rank at once (they
// share the memory system, as when an algorithm's ranks reduce or copy in the same round): the
// slowest rank's fastest pass (`typical`: its median one). `alone`: rank 0 passes while the
// others wait, as a parameter server or a tree's root reduces. `before` runs untimed ahead of
// each pass, on every rank.
template <typename Before, typename Pass>
double passCost(Transport& t, MemorySpace& memory, std::uint64_t bytes, int iterations, bool alone,
                Before before, Pass pass, bool typical = false) {
  std::vector<double> samples;
  for (int i = 0; i < kWarmupAdds + iterations; ++i) {
    t.barrier();
    before();
    const double start = t.now();
    if (!alone || t.rank() == 0) pass();
    memory.synchronize();
    if (i >= kWarmupAdds) samples.push_back(t.now() - start);
  }
  double result[] = {(typical ? median(samples) : fastest(samples)) / static_cast<double>(bytes)};
  t.allreduce(result, ReduceOp::Max);
  return result[0];
}

// With every pair of rank 0's host's ranks exchanging `bytes` at once (ranks 2k and 2k+1 of
// `local`), the rate their copies share: the bytes of all the round's messages over the time from
// the first pair's start to the last pair's end, beyond the pair's latency. 0 with fewer than two
// pairs.
//
// The span is read on the host's monotonic clock, which all of its processes share (MPI_Wtime
// need not be: Open MPI counts it from each process's own start). Each pair timing itself, the
// slowest pair's time, counts pairs that ran one after the other as if at once: with 4 ranks on
// 2 cores, the ranks leave the barrier at different times, and that measured 23 GB/s in all where
// two pairs at once moved 12 GB/s.
double sharedRate(Transport& t, Buffer& out, Buffer& in, const std::vector<int>& local,
                  std::uint64_t bytes, double latencyS, int iterations) {
  const int pairs = static_cast<int>(local.size()) / 2;
  if (pairs < 2) return 0;
  progress::enter("exchanging in every pair at once", "calibrate");
  const auto me = std::find(local.begin(), local.end(), t.rank());
  const long at = me == local.end() ? -1 : me - local.begin();
  const auto clock = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  std::vector<double> samples;
  for (int i = 0; i < 1 + iterations; ++i) {
    t.barrier();
    // {-start, end}: the maximum of both is the earliest start and the latest end.
    double span[] = {-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    if (at >= 0 && at < 2 * pairs) {
      const int peer = local[static_cast<std::size_t>(at ^ 1)];
      span[0] = -clock();
      Request r[2] = {t.isend(out.data(), bytes, peer, kTagCalibrate),
                      t.irecv(in.data(), bytes, peer, kTagCalibrate)};
      t.waitAll(r);
      span[1] = clock();
    }
    t.allreduce(span, ReduceOp::Max);
    if (i > 0) samples.push_back(span[1] + span[0]);
  }
  const double beyond = fastest(samples) - latencyS;
  return beyond > 0 ? 2.0 * pairs * static_cast<double>(bytes) / beyond : 0;
}

// Ranks 2k and 2k+1 exchange `bytes` from x into y (a last rank without a pair waits): what a
// round's reduction follows.
void exchangeInPairs(Transport& t, Buffer& x, Buffer& y, std::uint64_t bytes) {
  const int peer = t.rank() ^ 1;
  if (peer >= t.size()) return;
  Request r[2] = {t.isend(x.data(), bytes, peer, kTagCalibrate), t.irecv(y.data(), bytes, peer, kTagCalibrate)};
  t.waitAll(r);
}

// The sum into x, which the peer has just read (a ring's next step sums into the chunks its
// allgather sent), beyond the same sum into z, which nobody read: write_after_send for a pass of m
// bytes, seconds. Every rank at once, each after an exchange in pairs. Both are the median pass,
// not the fastest: at 64 KiB the sum into what was sent had a cheap state that some probes'
// fastest pass found (0.02-0.04 ns/B against 0.11) and no step's pass ever paid
// (docs/validation.md).
double writeAfterSendSurcharge(Transport& t, MemorySpace& memory, Buffer& x, Buffer& y, Buffer& z,
                               std::uint64_t m, int iterations) {
  const std::uint64_t count = m / elementBytes(DType::Float32);
  // dst = a + b after an exchange from x into y, the median pass, seconds.
  const auto sum = [&](Buffer& dst, Buffer& a) {
    return static_cast<double>(m) *
           passCost(t, memory, m, iterations, false, [&] { exchangeInPairs(t, x, y, m); },
                    [&] { memory.sum(dst.data(), a.data(), y.data(), count, DType::Float32); },
                    /*typical=*/true);
  };
  const double intoSent = sum(x, z);
  const double intoUnread = sum(z, x);
  return std::max(0.0, intoSent - intoUnread);
}

std::vector<std::uint64_t> hostIds(Transport& t) {
  const std::uint64_t me[] = {std::hash<std::string>{}(hostName())};
  std::vector<std::uint64_t> all(static_cast<std::size_t>(t.size()));
  t.allgather(me, all);
  return all;
}

std::string figure(double v, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, v);
  return text;
}

// Latency and bandwidth as topology strings: whole nanoseconds and MB/s, so the file round-trips
// through the loader with no exponent or rounding surprise.
std::string latencyText(double s) { return std::to_string(std::llround(s * 1e9)) + " ns"; }
std::string bandwidthText(double bps) {
  return std::to_string(std::max<long long>(1, std::llround(bps / 1e6))) + " MBps";
}

// "0 and 1", or "0 and each of 1, 2, 3" when rank 0 exchanged with several in turn.
std::string pairText(const Measured& m) {
  std::string s = std::to_string(m.from) + " and " + (m.peers.size() > 1 ? "each of " : "");
  for (std::size_t k = 0; k < m.peers.size(); ++k) s += (k ? ", " : "") + std::to_string(m.peers[k]);
  return s;
}

void describeMeasurement(std::ostringstream& os, const Measured& m) {
  os << "#   ranks " << pairText(m) << " (" << m.between << "):";
  for (std::size_t i = 0; i < m.sizes.size(); ++i)
    os << (i ? "," : "") << ' ' << humanBytes(m.sizes[i]) << ' ' << figure(m.timeS[i] * 1e6, 4) << " us";
  os << "\n#     medians:";
  for (std::size_t i = 0; i < m.sizes.size(); ++i)
    os << (i ? "," : "") << ' ' << figure(m.medianS[i] * 1e6, 4) << " us";
  const auto state = [&](const char* what, const std::vector<double>& v) {
    if (v.empty()) return;
    os << "\n#     " << what << ":";
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << ' ' << figure(v[i] * 1e6, 4) << " us";
  };
  if (!m.readS.empty()) {
    state("just written", m.writtenS);
    state("only read since sent", m.readS);
  }
  if (m.peers.size() > 1) {
    os << "\n#     each size's figures are rank " << m.from << "'s with rank:";
    for (std::size_t i = 0; i < m.peerOf.size(); ++i) os << (i ? "," : "") << ' ' << m.peerOf[i];
    os << " (its fastest pair)";
  }
  os << "\n#     above " << humanBytes(m.fitted.pieces.empty() ? 0 : m.fitted.pieces.back().upToBytes)
     << ": latency " << figure(m.latencyS() * 1e6, 4) << " us, bandwidth "
     << figure(m.bandwidthBps() / 1e9, 4) << " GB/s; " << m.fitted.pieces.size()
     << " piece(s) below\n";
}

// Fits the piecewise link; refuses a measurement that gives no bandwidth (a loaded machine).
void fit(Measured& m) {
  try {
    m.fitted = fitPiecewiseLink(m.sizes, m.timeS);
  } catch (const Error&) {
    const std::size_t last = m.sizes.size() - 1;
    throw Error(std::string("calibrate: the bandwidth between ranks ") + pairText(m) + " (" +
                m.between + ") could not be measured: " +
                humanBytes(m.sizes[last]) + " took " + figure(m.timeS[last] * 1e6, 4) +
                " us, no longer than smaller messages; measure larger messages with -e, or more "
                "of them with -n on a busy machine");
  }
}

// What calibrate writes: a topology file's fields (docs/topologies.md), in the units the loader
// reads back exactly.
struct TopologyText {
  std::string name;
  std::string description;
  std::size_t hosts = 1;
  int devicesPerHost = 1;
  std::optional<CostCurve> gamma;  // not known: left out
  std::optional<CostCurve> gammaSum;
  std::optional<CostCurve> copy;
  std::optional<CostCurve> scale;
  std::optional<CostCurve> sgd;
  double memoryParallelism = 0;  // 0: left out
  std::optional<CostCurve> writeAfterSend;
  std::optional<CostCurve> sendWritten;
  std::optional<CostCurve> sendUnwritten;
  std::optional<Link> intraHost;
  std::optional<Link> nic;
  std::string nicComment;
};

void emitLink(YAML::Emitter& out, const char* key, const Link& l, const std::string& latencyComment) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bandwidth" << YAML::Value << bandwidthText(l.bandwidthBps);
  out << YAML::Key << "latency" << YAML::Value << latencyText(l.latencyS);
  if (!latencyComment.empty()) out << YAML::Comment(latencyComment);
  if (l.sharedBandwidthBps > 0)
    out << YAML::Key << "shared_bandwidth" << YAML::Value << bandwidthText(l.sharedBandwidthBps);
  if (l.latencySharesHost) out << YAML::Key << "latency_shares_host" << YAML::Value << true;
  if (!l.pieces.empty()) {
    out << YAML::Key << "pieces" << YAML::Value << YAML::BeginSeq;
    for (const LinkPiece& p : l.pieces)
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "up_to" << YAML::Value << p.upToBytes
          << YAML::Key << "bandwidth" << YAML::Value << bandwidthText(p.cost.bandwidthBps)
          << YAML::Key << "latency" << YAML::Value << latencyText(p.cost.latencyS) << YAML::EndMap;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

std::string costText(double sPerByte) { return figure(sPerByte * 1e9, 6) + " ns/B"; }

// `key: 0.1 ns/B`, or with pieces {cost, pieces: [{up_to, cost}]} (docs/topologies.md).
void emitCost(YAML::Emitter& out, const char* key, const CostCurve& c) {
  out << YAML::Key << key << YAML::Value;
  if (c.pieces.empty()) {
    out << costText(c.top);
    return;
  }
  out << YAML::BeginMap << YAML::Key << "cost" << YAML::Value << costText(c.top);
  out << YAML::Key << "pieces" << YAML::Value << YAML::BeginSeq;
  for (const CostPiece& p : c.pieces)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "up_to" << YAML::Value << p.upToBytes
        << YAML::Key << "cost" << YAML::Value << costText(p.sPerByte) << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
}

// The file after its comment block (`comments`, every line starting with '#').
std::string topologyYaml(const std::string& comments, const TopologyText& t) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << t.name;
  out << YAML::Key << "description" << YAML::Value << t.description;
  out << YAML::Key << "hosts" << YAML::Value << t.hosts;
  out << YAML::Key << "devices_per_host" << YAML::Value << t.devicesPerHost;
  if (t.gamma) emitCost(out, "gamma", *t.gamma);
  if (t.gammaSum) emitCost(out, "gamma_sum", *t.gammaSum);
  if (t.copy) emitCost(out, "copy", *t.copy);
  if (t.scale) emitCost(out, "scale", *t.scale);
  if (t.sgd) emitCost(out, "sgd", *t.sgd);
  if (t.memoryParallelism > 0)
    out << YAML::Key << "memory_parallelism" << YAML::Value << figure(t.memoryParallelism, 3);
  if (t.writeAfterSend) emitCost(out, "write_after_send", *t.writeAfterSend);
  if (t.sendWritten) emitCost(out, "send_written", *t.sendWritten);
  if (t.sendUnwritten) emitCost(out, "send_unwritten", *t.sendUnwritten);
  if (t.intraHost) emitLink(out, "intra_host", *t.intraHost, "");
  if (t.nic) {
    emitLink(out, "nic", *t.nic, t.nicComment);
    out << YAML::Key << "fabric" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << "non-blocking";
    out << YAML::Key << "switch_latency" << YAML::Value << "0 ns" << YAML::Comment("counted in nic.latency");
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  COMMSIM_ENFORCE(out.good(), "calibrate: writing the topology: " << out.GetLastError());
  return comments + out.c_str() + "\n";
}

Json toJson(const Measured& m) {
  Json j;
  j["between"] = m.between;
  j["ranks"] = Json::array({m.from});  // rank 0, then each rank it exchanged with
  for (const int p : m.peers) j["ranks"].push_back(p);
  j["fastest_with"] = m.peerOf;  // at each size, the rank of the fastest pair: the figures' own
  j["sizes_bytes"] = m.sizes;
  j["time_s"] = m.timeS;
  j["median_s"] = m.medianS;
  j["written_s"] = m.writtenS;
  j["read_s"] = m.readS;
  j["latency_s"] = m.latencyS();
  j["bandwidth_Bps"] = m.bandwidthBps();
  j["pieces"] = Json::array();
  for (const LinkPiece& p : m.fitted.pieces)
    j["pieces"].push_back({{"up_to_bytes", p.upToBytes}, {"bandwidth_Bps", p.cost.bandwidthBps},
                           {"latency_s", p.cost.latencyS}});
  return j;
}

// calibrate --json on the ranks: every measurement, and the topology written from them.
struct MeasuredCalibration {
  RunHeader run;
  std::size_t hosts = 1;
  int devicesPerHost = 1;
  int iterations = 0;
  std::vector<Measured> links;
  double gammaSPerByte = 0;  // the cost curves' top figures
  double copySPerByte = 0;
  std::vector<std::uint64_t> passSizes;
  double gammaSumSPerByte = 0;
  std::vector<double> reduceTimeS, sumTimeS, copyTimeS;  // per pass size, the whole pass
  // The same with rank 0 passing alone, and the memory parallelism they give; empty and 0 with
  // one rank per host.
  std::vector<double> reduceAloneTimeS, sumAloneTimeS, copyAloneTimeS;
  double memoryParallelism = 0;
  std::vector<double> writeAfterSendTimeS;  // per pass size, the whole pass's surcharge
  double sharedBandwidthBps = 0;            // 0: not measured
  std::string topology;
  double scaleSPerByte = 0;  // the division in place after a sum: its curve's top, its passes
  std::vector<double> scaleTimeS, scaleAloneTimeS;
  // Per pass size, what a message sent in each state takes beyond the faster (empty: not timed).
  std::vector<double> sendWrittenTimeS, sendUnwrittenTimeS;
  double sgdSPerByte = 0;  // the SGD step after an add: its curve's top, its passes
  std::vector<double> sgdTimeS, sgdAloneTimeS;
};

Json toJson(const MeasuredCalibration& c) {
  Json doc = toJson(c.run);
  doc["hosts"] = c.hosts;
  doc["devices_per_host"] = c.devicesPerHost;
  doc["iterations"] = c.iterations;
  doc["links"] = Json::array();
  for (const Measured& m : c.links) doc["links"].push_back(toJson(m));
  doc["gamma_s_per_byte"] = c.gammaSPerByte;
  doc["copy_s_per_byte"] = c.copySPerByte;
  doc["pass_sizes_bytes"] = c.passSizes;
  doc["gamma_sum_s_per_byte"] = c.gammaSumSPerByte;
  doc["reduce_time_s"] = c.reduceTimeS;
  doc["sum_time_s"] = c.sumTimeS;
  doc["copy_time_s"] = c.copyTimeS;
  doc["reduce_alone_time_s"] = c.reduceAloneTimeS;
  doc["sum_alone_time_s"] = c.sumAloneTimeS;
  doc["copy_alone_time_s"] = c.copyAloneTimeS;
  doc["scale_s_per_byte"] = c.scaleSPerByte;
  doc["scale_time_s"] = c.scaleTimeS;
  doc["scale_alone_time_s"] = c.scaleAloneTimeS;
  doc["send_written_time_s"] = c.sendWrittenTimeS;
  doc["send_unwritten_time_s"] = c.sendUnwrittenTimeS;
  doc["sgd_s_per_byte"] = c.sgdSPerByte;
  doc["sgd_time_s"] = c.sgdTimeS;
  doc["sgd_alone_time_s"] = c.sgdAloneTimeS;
  doc["memory_parallelism"] = c.memoryParallelism > 0 ? Json(c.memoryParallelism) : Json();
  doc["write_after_send_time_s"] = c.writeAfterSendTimeS;
  doc["shared_bandwidth_Bps"] = c.sharedBandwidthBps;
  doc["topology"] = c.topology;
  return doc;
}

// calibrate --from --json: the files, the link fitted to them and the topology.
struct ImportedCalibration {
  std::vector<std::string> from;
  Measured link;
  std::string topology;
};

Json toJson(const ImportedCalibration& c) {
  Json doc;
  doc["command"] = "calibrate";
  doc["from"] = c.from;
  doc["links"] = Json::array({toJson(c.link)});
  doc["topology"] = c.topology;
  return doc;
}

// Zeros into the first `bytes` of b, from one small block of host zeros: a buffer of zeros as
// large as b, freed at once, would be given back to the kernel mid-run (HostMemory says why that
// is avoided).
void zeroFill(MemorySpace& memory, Buffer& b, std::uint64_t bytes) {
  static const std::vector<std::byte> zeros(std::size_t{1} << 20);
  for (std::uint64_t at = 0; at < bytes; at += zeros.size())
    memory.fromHost(static_cast<std::byte*>(b.data()) + at, zeros.data(),
                    std::min<std::uint64_t>(zeros.size(), bytes - at));
}

}  // namespace

std::vector<std::uint64_t> calibratedPassSizes(std::uint64_t largest) {
  std::vector<std::uint64_t> out;  // small passes stay in the caches
  for (const std::uint64_t m : probeSizes(largest))
    if (m >= kLeastLargest) out.push_back(m);
  return out;
}

std::vector<double> writeAfterSendTimes(Transport& t, MemorySpace& memory,
                                        std::span<const std::uint64_t> passSizes, int iterations) {
  std::vector<double> out;
  if (passSizes.empty()) return out;
  const std::uint64_t largest = *std::max_element(passSizes.begin(), passSizes.end());
  Buffer x(memory, largest), y(memory, largest), z(memory, largest);
  for (Buffer* b : {&x, &y, &z}) zeroFill(memory, *b, largest);  // no denormals or NaNs in the sums
  for (const std::uint64_t m : passSizes)
    out.push_back(writeAfterSendSurcharge(t, memory, x, y, z, m, iterations));
  return out;
}

Calibration calibrateRanks(Transport& t, MemorySpace& memory, std::uint64_t largest,
                           int iterations, const std::string& name) {
  ensureFitsInMemory(t, memory, largest / elementBytes(DType::Float32), DType::Float32, "maxbytes");
  Buffer x(memory, largest), y(memory, largest), z(memory, largest);
  for (Buffer* b : {&x, &y, &z}) zeroFill(memory, *b, largest);  // no denormals or NaNs in the sums

  const std::vector<std::uint64_t> hosts = hostIds(t);
  const std::set<std::uint64_t> distinct(hosts.begin(), hosts.end());
  int perHost = 0;
  for (const std::uint64_t h : distinct)
    perHost = std::max(perHost, static_cast<int>(std::count(hosts.begin(), hosts.end(), h)));
  std::vector<int> intraPeers;  // every other rank of rank 0's host, in turn (exchange())
  int interPeer = -1;
  for (int r = 1; r < t.size(); ++r) {
    const bool same = hosts[static_cast<std::size_t>(r)] == hosts[0];
    if (same) intraPeers.push_back(r);
    if (!same && interPeer < 0) interPeer = r;
  }

  const auto sizes = probeSizes(largest);
  std::optional<Measured> intra, inter;
  if (!intraPeers.empty()) intra = exchange(t, memory, x, y, "one host", 0, intraPeers, sizes, iterations, true);
  if (interPeer > 0) inter = exchange(t, memory, x, y, "two hosts", 0, {interPeer}, sizes, iterations, false);
  // Every rank fits (the same figures, shared by exchange()), so every rank knows the latency
  // the shared-rate measurement subtracts.
  if (intra) fit(*intra);
  if (inter) fit(*inter);
  std::vector<int> local;  // rank 0's host's ranks
  for (int r = 0; r < t.size(); ++r)
    if (hosts[static_cast<std::size_t>(r)] == hosts[0]) local.push_back(r);
  if (intra)
    intra->fitted.sharedBandwidthBps =
        sharedRate(t, x, y, local, largest, intra->latencyS(), iterations);
  progress::enter("timing the reduction and a copy", "calibrate");
  const std::vector<std::uint64_t> passSizes = calibratedPassSizes(largest);
  // With several ranks on a host, each pass is timed twice: every rank at once, and rank 0 alone
  // while the others wait (a parameter server's or a tree root's reduction).
  const bool sharing = local.size() > 1;
  std::vector<double> reduceTimes, sumTimes, copyTimes, reduceAlone, sumAlone, copyAlone;
  std::vector<double> scaleTimes, scaleAlone, sgdTimes, sgdAlone;
  std::vector<double> afterSendTimes;  // the surcharge of writing what the peer just read
  for (const std::uint64_t m : passSizes) {
    const std::uint64_t count = m / elementBytes(DType::Float32);
    // A round's reduction follows the round's exchange, so each timed pass follows an exchange of
    // its size in pairs of ranks (a rank without a pair waits). Two kinds: an add in place of what
    // just arrived (gamma: all-to-all, the parameter server, the tree, direct), and a sum of what
    // this rank holds and what arrived into a third buffer (gamma_sum: the ring, halving-doubling,
    // recursive doubling), which also reads the destination before writing it. From DRAM the sum
    // took 1.4x the add per byte (64 MiB, 2 ranks); one gamma for both missed one kind or the other.
    const auto inPairs = [&] { exchangeInPairs(t, x, y, m); };
    const double bytes = static_cast<double>(m);
    for (const bool alone : {false, true}) {
      if (alone && !sharing) break;
      // Into z, not x: x was just sent, and writing lines the peer has just read costs a round of
      // invalidations a step's add into its result does not pay (0.3 ns/B against 0.06 at 64 KiB).
      (alone ? reduceAlone : reduceTimes)
          .push_back(bytes * passCost(t, memory, m, iterations, alone, inPairs, [&] {
            memory.add(z.data(), y.data(), count, DType::Float32);
          }));
      (alone ? sumAlone : sumTimes)
          .push_back(bytes * passCost(t, memory, m, iterations, alone, inPairs, [&] {
            memory.sum(z.data(), x.data(), y.data(), count, DType::Float32);
          }));
      (alone ? copyAlone : copyTimes)
          .push_back(bytes * passCost(t, memory, m, iterations, alone, [] {}, [&] {
            memory.copy(x.data(), y.data(), m);
          }));
      // Every algorithm divides by n right after its last sum into those bytes, which leaves part
      // of them in this core's caches: an in-place pass over one buffer, cheaper than a copy
      // (0.04 ns/B against 0.07 at 2-32 MiB here). Timed so, after the exchange and the sum.
      (alone ? scaleAlone : scaleTimes)
          .push_back(bytes * passCost(t, memory, m, iterations, alone,
                                      [&] {
                                        inPairs();
                                        memory.sum(z.data(), x.data(), y.data(), count, DType::Float32);
                                      },
                                      [&] { memory.divide(z.data(), count, DType::Float32, 2.0); }));
      // The parameter server's update after its adds: w -= lr * g / n, into the buffer that
      // received (as a server's parameters, which no peer has read since it last wrote them).
      (alone ? sgdAlone : sgdTimes)
          .push_back(bytes * passCost(t, memory, m, iterations, alone,
                                      [&] {
                                        inPairs();
                                        memory.add(z.data(), y.data(), count, DType::Float32);
                                      },
                                      [&] { memory.sgdStep(y.data(), z.data(), count, DType::Float32, 0.01, 2.0); }));
    }
    afterSendTimes.push_back(writeAfterSendSurcharge(t, memory, x, y, z, m, iterations));
  }
  // Shared, the curves are a rank's passes alone and memory_parallelism how many of the host's N
  // ranks pass at once at that speed: N x alone / all at once, from the largest passes (DRAM,
  // which ranks share the most), the median of the three kinds, between 1 and N.
  double parallelism = 0;
  if (sharing) {
    const std::size_t top = passSizes.size() - 1;
    std::array<double, 3> ratio{reduceAlone[top] / reduceTimes[top], sumAlone[top] / sumTimes[top],
                                copyAlone[top] / copyTimes[top]};
    std::sort(ratio.begin(), ratio.end());
    const auto n = static_cast<double>(local.size());
    parallelism = std::clamp(n * ratio[1], 1.0, n);
  }
  const CostCurve gammaCurve = fitCostCurve(passSizes, sharing ? reduceAlone : reduceTimes);
  const CostCurve sumCurve = fitCostCurve(passSizes, sharing ? sumAlone : sumTimes);
  const CostCurve copyCurve = fitCostCurve(passSizes, sharing ? copyAlone : copyTimes);
  const CostCurve scaleCurve = fitCostCurve(passSizes, sharing ? scaleAlone : scaleTimes);
  const CostCurve sgdCurve = fitCostCurve(passSizes, sharing ? sgdAlone : sgdTimes);
  const CostCurve afterSendCurve = fitCostCurve(passSizes, afterSendTimes);
  const auto anyPositive = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double e) { return e > 0; });
  };
  const bool afterSend = anyPositive(afterSendTimes);
  // What each state of what a rank sends adds to the faster one, at the pass sizes (whole
  // messages, seconds): send_written and send_unwritten.
  std::vector<double> sendWrittenTimes, sendUnwrittenTimes;
  if (intra && !intra->readS.empty()) {
    for (const std::uint64_t m : passSizes) {
      const auto i = static_cast<std::size_t>(std::find(sizes.begin(), sizes.end(), m) - sizes.begin());
      COMMSIM_ENFORCE(i < sizes.size(), "calibrate: pass size " << m << " was not exchanged");
      sendWrittenTimes.push_back(intra->writtenS[i] - intra->timeS[i]);
      sendUnwrittenTimes.push_back(intra->readS[i] - intra->timeS[i]);
    }
  }
  const double gamma = gammaCurve.top, copy = copyCurve.top;
  progress::enter("writing the topology", "calibrate");
  Calibration c;
  if (t.rank() != 0) return c;

  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream os;
  os << "# Measured by `commsim calibrate` on " << when << ": " << t.size() << " ranks on "
     << distinct.size() << " host(s), rank 0 on " << hostName() << "; transport " << t.name()
     << ", " << memory.name() << " memory\n";
  if (!t.detail().empty()) os << "#   " << t.detail() << "\n";
  os << "# Time to exchange a message of each size, both ranks sending at once (the fastest of "
     << iterations << " exchanges of each pair;\n# on one host in the faster of two states: what is sent just "
     << "written, or only read since\n# it was last sent; send_written and send_unwritten add the "
     << "other state's time):\n";
  if (intra) describeMeasurement(os, *intra);
  if (inter) describeMeasurement(os, *inter);
  os << "# Between measured sizes the time is a line a + m/B, each direction with both in use;\n"
     << "# neighbouring intervals on one line (within 5%) merge. The top interval is the link's\n"
     << "# bandwidth and latency, the others its pieces (docs/topologies.md).\n";
  if (intra && intra->fitted.sharedBandwidthBps > 0)
    os << "# Shared: " << local.size() / 2 * 2 << " ranks of this host exchanging "
       << humanBytes(largest) << " in pairs at once moved "
       << figure(intra->fitted.sharedBandwidthBps / 1e9, 4) << " GB/s in all.\n";
  const auto describePasses = [&](const char* who,
                                   std::initializer_list<const std::vector<double>*> kinds) {
    os << "# Memory passes in " << memory.name() << " memory, " << who << " (the fastest of "
       << iterations << "), per byte: a float32 add in place of what a pair exchanged (gamma), its\n"
       << "# sum into a third buffer (gamma_sum), a copy (the algorithms' own copies), the division\n"
       << "# in place right after that sum (scale) and an SGD step after the add (sgd), by the pass's size:";
    for (std::size_t i = 0; i < passSizes.size(); ++i) {
      os << (i ? "," : "") << ' ' << humanBytes(passSizes[i]) << ' ';
      for (const std::vector<double>* kind : kinds)
        os << (kind == *kinds.begin() ? "" : "/")
           << figure((*kind)[i] / static_cast<double>(passSizes[i]) * 1e9, 3);
      os << " ns";
    }
    os << "\n";
  };
  describePasses("every rank at once", {&reduceTimes, &sumTimes, &copyTimes, &scaleTimes, &sgdTimes});
  os << "# The sum into the buffer the peer has just read, beyond the sum (write_after_send), by size:";
  for (std::size_t i = 0; i < passSizes.size(); ++i)
    os << (i ? "," : "") << ' ' << humanBytes(passSizes[i]) << ' '
       << figure(afterSendTimes[i] / static_cast<double>(passSizes[i]) * 1e9, 3) << " ns";
  os << "\n";
  if (sharing) {
    describePasses("rank 0 alone", {&reduceAlone, &sumAlone, &copyAlone, &scaleAlone, &sgdAlone});
    os << "# gamma, gamma_sum, copy, scale and sgd are rank 0's alone; memory_parallelism: " << local.size()
       << " ranks x alone / at once,\n# the median of the three at " << humanBytes(passSizes.back())
       << ". k ranks passing at once each take max(1, k / memory_parallelism) as long.\n";
  }
  // Over host memory the receiving process copies a message between two ranks of one host itself
  // (Open MPI's shared memory): its fixed cost is that rank's CPU time, which the host's ranks
  // share as they share its memory.
  const bool receiverCopies = intra && t.dataPath() == "host";
  if (receiverCopies) {
    intra->fitted.latencySharesHost = true;
    os << "# latency_shares_host: over host memory the receiving rank copies each message of one\n"
       << "# host, so its latency is that rank's work, shared like its passes (memory_parallelism).\n";
  }
  os      << "# devices_per_host is the ranks this job had on its busiest host; raise it to the\n"
     << "# processes or GPUs a host runs at once, each on a core or GPU of its own.\n";
  TopologyText file;
  file.name = name;
  file.description = "measured by commsim calibrate (" + std::string(t.name()) + ", " +
                     std::string(memory.name()) + " memory, " + std::to_string(t.size()) + " ranks)";
  file.hosts = distinct.size();
  file.devicesPerHost = perHost;
  file.gamma = gammaCurve;
  file.gammaSum = sumCurve;
  file.copy = copyCurve;
  file.scale = scaleCurve;
  file.sgd = sgdCurve;
  file.memoryParallelism = parallelism;
  if (afterSend) file.writeAfterSend = afterSendCurve;
  if (anyPositive(sendWrittenTimes)) file.sendWritten = fitCostCurve(passSizes, sendWrittenTimes);
  if (anyPositive(sendUnwrittenTimes)) file.sendUnwritten = fitCostCurve(passSizes, sendUnwrittenTimes);
  if (intra) file.intraHost = intra->fitted;
  if (inter) file.nic = inter->fitted;
  file.nicComment = "host to host as measured, the switch included";
  c.yaml = topologyYaml(os.str(), file);
  c.withWriteAfterSend = [comments = os.str(), file, passSizes](std::span<const double> times) {
    TopologyText again = file;
    again.writeAfterSend.reset();
    if (std::any_of(times.begin(), times.end(), [](double v) { return v > 0; }))
      again.writeAfterSend = fitCostCurve(passSizes, times);
    return topologyYaml(comments + "# write_after_send: measured again (commsim validate)\n", again);
  };
  MeasuredCalibration measured{runHeader("calibrate", t, memory),
                               distinct.size(),
                               perHost,
                               iterations,
                               {},
                               gamma,
                               copy,
                               passSizes,
                               sumCurve.top,
                               reduceTimes,
                               sumTimes,
                               copyTimes,
                               reduceAlone,
                               sumAlone,
                               copyAlone,
                               parallelism,
                               afterSendTimes,
                               intra ? intra->fitted.sharedBandwidthBps : 0.0,
                               c.yaml,
                               scaleCurve.top,
                               scaleTimes,
                               scaleAlone,
                               sendWrittenTimes,
                               sendUnwrittenTimes,
                               sgdCurve.top,
                               sgdTimes,
                               sgdAlone};
  if (intra) measured.links.push_back(*intra);
  if (inter) measured.links.push_back(*inter);
  c.json = toJson(measured);
  std::ostringstream sum;
  if (intra)
    sum << "intra-host: latency " << figure(intra->latencyS() * 1e6, 4) << " us, bandwidth "
        << figure(intra->bandwidthBps() / 1e9, 4) << " GB/s (ranks " << pairText(*intra) << ")\n";
  if (inter)
    sum << "host to host: latency " << figure(inter->latencyS() * 1e6, 4) << " us, bandwidth "
        << figure(inter->bandwidthBps() / 1e9, 4) << " GB/s (ranks " << pairText(*inter) << ")\n";
  sum << "reduction: gamma " << figure(gamma, 4) << " s/byte; copy " << figure(copy, 4) << " s/byte";
  if (parallelism > 0) sum << "; memory parallelism " << figure(parallelism, 3) << " of " << local.size() << " ranks";
  sum << "\n";
  c.summary = sum.str();
  return c;
}

namespace {

// calibrate --from: the same fit from nccl-tests or OSU results, no ranks started.
int calibrateFrom(const CalibrateOptions& o) {
  std::vector<ImportedResults> results;
  for (const std::string& file : o.from) {
    std::ifstream in(file, std::ios::binary);
    if (!in || std::filesystem::is_directory(file))
      throw UsageError("--from: '" + file + "' cannot be read (a results file of nccl-tests or OSU)");
    std::ostringstream text;
    text << in.rdbuf();
    results.push_back(importResults(text.str(), file, {o.ranks, o.hosts}));
    if (results.back().hosts != results.front().hosts)
      throw UsageError("--from: " + file + " ran on " + std::to_string(results.back().hosts) +
                       " host(s), " + results.front().source + " on " +
                       std::to_string(results.front().hosts) +
                       ": one topology describes one kind of link (give --hosts for OSU results)");
  }
  // Every file's message times together, the fastest at each size.
  std::map<std::uint64_t, double> bySize;
  int ranks = 0;
  for (const auto& r : results) {
    ranks = std::max(ranks, r.ranks);
    for (std::size_t i = 0; i < r.sizes.size(); ++i) {
      auto [it, fresh] = bySize.emplace(r.sizes[i], r.times[i]);
      if (!fresh) it->second = std::min(it->second, r.times[i]);
    }
  }
  Measured m{"as imported", 0, {1}, {}, {}, {}, {}, {}, {}, {}};
  for (const auto& [size, time] : bySize) {
    m.sizes.push_back(size);
    m.timeS.push_back(time);
  }
  m.medianS = m.timeS;
  try {
    m.fitted = fitPiecewiseLink(m.sizes, m.timeS);
  } catch (const Error&) {
    throw UsageError("--from: the largest messages take no longer than smaller ones in these "
                     "results: no bandwidth to fit");
  }
  const int hosts = results.front().hosts;
  const int perHost = (ranks + hosts - 1) / hosts;

  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream os;
  os << "# Fitted by `commsim calibrate --from` on " << when << " from:\n";
  for (const auto& r : results) {
    os << "#   " << r.source << ": " << r.kind << ", " << r.ranks << " ranks on " << r.hosts
       << " host(s); one message of each size:";
    for (std::size_t i = 0; i < r.sizes.size(); ++i)
      os << (i ? "," : "") << ' ' << humanBytes(r.sizes[i]) << ' ' << figure(r.times[i] * 1e6, 4) << " us";
    os << "\n";
  }
  os << "# (point-to-point tests: one message's time; an all-reduce of m bytes on n ranks: a ring\n"
     << "# step of m/n bytes, its time / 2(n-1).) Between sizes the time is a line a + m/B;\n"
     << "# neighbouring intervals on one line (within 5%) merge (docs/topologies.md).\n"
     << "# gamma is not in these results: give commsim predict --gamma, or calibrate on the ranks.\n";
  if (hosts > 1 && perHost > 1)
    os << "# intra_host is not told apart from the NIC by these results: both are the fitted link.\n";
  TopologyText file;
  file.name = o.name;
  file.description = "fitted by commsim calibrate --from (" + results.front().kind + ")";
  file.hosts = static_cast<std::size_t>(hosts);
  file.devicesPerHost = perHost;
  if (hosts == 1 || perHost > 1) file.intraHost = m.fitted;
  if (hosts > 1) file.nic = m.fitted;
  file.nicComment = "host to host, the switch included";
  const std::string yaml = topologyYaml(os.str(), file);
  if (!o.jsonFile.empty()) {
    writeFileAtomically(o.jsonFile, toJson(ImportedCalibration{o.from, m, yaml}).dump(2) + "\n");
  }
  if (o.output.empty()) {
    std::fputs(yaml.c_str(), stdout);
  } else {
    writeFileAtomically(o.output, yaml);
    std::printf("# wrote %s\n", o.output.c_str());
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitBadInput;
}

int runCalibrate(const CalibrateOptions& o, ProcessArgs args) {
  if (o.name.empty() || o.name.find_first_of(":#\n\r\"'{}[]") != std::string::npos)
    throw UsageError("name: '" + printable(o.name) +
                     "' is not allowed (allowed: a non-empty name without : # quotes or brackets)");
  if (!o.output.empty()) ensureWritable(o.output, "--output");
  if (!o.jsonFile.empty()) ensureWritable(o.jsonFile, "--json");
  if (!o.from.empty()) return calibrateFrom(o);
  const std::uint64_t largest = parseSize(o.maxBytes, "maxbytes");
  if (largest < kLeastLargest)
    throw UsageError("maxbytes: " + std::to_string(largest) + " is not allowed (at least " +
                     std::to_string(kLeastLargest) + " bytes, 64K, so bandwidth is not all latency)");
  const int iterations = parseRepetitions(o.iterations, "iters", 1, "timed exchanges per size");
  validateLaunch(o.launch);

  return launch(args, o.launch, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "calibrate");
    ensureRanksAgree(t, {{"maxbytes", largest}, {"iters", static_cast<std::uint64_t>(iterations)}});
    const Calibration c = calibrateRanks(t, memory, largest, iterations, o.name);
    if (t.rank() != 0) return kExitOk;
    if (!o.jsonFile.empty()) writeFileAtomically(o.jsonFile, c.json.dump(2) + "\n");
    if (o.output.empty()) {
      std::fputs(c.yaml.c_str(), stdout);
    } else {
      writeFileAtomically(o.output, c.yaml);
      std::printf("# wrote %s\n%s", o.output.c_str(), c.summary.c_str());
    }
    return kExitOk;
  });
}

}  // namespace

void addCalibrateCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* app = root.add_subcommand(
      "calibrate",
      "Measure latency, bandwidth and reduction cost between ranks and write a topology file");
  app->add_option("-e,--maxbytes", o->maxBytes,
                  "Largest message exchanged, which sets the bandwidth (at least 64K)")
      ->capture_default_str();
  app->add_option("-n,--iters", o->iterations, "Timed exchanges per size with each peer (the fastest is kept)")
      ->capture_default_str();
  app->add_option("--name", o->name, "The topology's name")->capture_default_str();
  app->add_option("-o,--output", o->output,
                  "Write the topology file here (default: stdout) and print a summary");
  app->add_option("--json", o->jsonFile,
                  "Also write the measurements (every size's time, gamma, the topology) as JSON");
  app->add_option("--from", o->from,
                  "Fit the topology from results instead of measuring (no mpirun): nccl-tests "
                  "all_reduce_perf output (text or its -J JSON), osu_latency, osu_bw or "
                  "osu_allreduce output; may be given more than once");
  app->add_option("--ranks", o->ranks, "--from osu_allreduce: the ranks that ran it")
      ->check(CLI::Range(2, 1 << 20));
  app->add_option("--hosts", o->hosts,
                  "--from OSU results: the hosts they ran on (default 1; nccl-tests names its own)")
      ->check(CLI::Range(1, 1 << 20));
  addLaunchOptions(app, o->launch);
  commands.push_back({app, [o](ProcessArgs args) { return runCalibrate(*o, args); }});
}

}  // namespace commsim::cli
