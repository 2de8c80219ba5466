// A machine or cluster, as topologies/*.yaml describe it (SPEC §5; schema in docs/topologies.md).
// One description feeds the cost model (cost_model.hpp) and, later, the simulator's platform export.
// All figures are held in SI base units: bytes per second and seconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace commsim {

// What a message of one size pays on a link: a + m/B.
struct LinkCost {
  double bandwidthBps = 0;  // bytes per second
  double latencyS = 0;      // one-way latency of a message, seconds
};

// A message-size interval of a piecewise link (SPEC §13): messages larger than the previous
// piece's upToBytes, and at most this one's, pay this latency and bandwidth. Caches, a memory bus
// and an MPI library's protocol switches make one line a poor fit from 8 bytes to 256 MiB.
struct LinkPiece {
  std::uint64_t upToBytes = 0;
  LinkCost cost;
};

// A cost per byte for passes of up to upToBytes bytes (larger than the previous piece's): a
// memory pass's cost depends on its size, a pass that fits in the caches being several times
// cheaper than one from DRAM.
struct CostPiece {
  std::uint64_t upToBytes = 0;
  double sPerByte = 0;
};

// The cost per byte of a pass of `bytes`: the first piece holding it, else `top`.
inline double costAt(double top, const std::vector<CostPiece>& pieces, std::uint64_t bytes) {
  for (const CostPiece& p : pieces)
    if (bytes <= p.upToBytes) return p.sPerByte;
  return top;
}

// What one memory pass costs: `top` per byte, or the first piece holding the pass's size.
struct PassCost {
  double top = 0;
  std::vector<CostPiece> pieces;
  double of(std::uint64_t bytes) const { return static_cast<double>(bytes) * costAt(top, pieces, bytes); }
  // The same passes inside one step over `stepBytes` per rank: none cheaper per byte than a pass
  // of the step's size (inStep, below).
  PassCost inStep(std::uint64_t stepBytes) const;
  // A surcharge by size (send_written, send_unwritten, write_after_send) inside one step over
  // `stepBytes` per rank: every size up to the step's costs per byte what the step's size does
  // (surchargeInStep, below).
  PassCost surchargeInStep(std::uint64_t stepBytes) const;
  // Whether any pass costs anything.
  bool any() const {
    if (top > 0) return true;
    for (const CostPiece& p : pieces)
      if (p.sPerByte > 0) return true;
    return false;
  }
};

// A pass kind a file may leave out: its own cost when given (top at least 0), else the kind it
// refines, as topology files without it mean (gamma_sum: gamma's; scale: copy's).
inline PassCost passCostOr(double top, std::vector<CostPiece> pieces, const PassCost& otherwise) {
  return top >= 0 ? PassCost{top, std::move(pieces)} : otherwise;
}

// What one message costs whole, by its size: `top` seconds, or the first piece holding it (each
// piece's sPerByte read as seconds per message).
struct MessageCost {
  double top = 0;
  std::vector<CostPiece> pieces;
  double of(std::uint64_t bytes) const { return costAt(top, pieces, bytes); }
  bool any() const { return PassCost{top, pieces}.any(); }
};

// One direction of a full-duplex link.
struct Link {
  double bandwidthBps = 0;  // bytes per second: messages beyond the last piece, or all of them
  double latencyS = 0;      // one-way latency of a message, seconds
  std::vector<LinkPiece> pieces;  // ascending upToBytes; empty: one line for every size
  // intra_host only: the rate all the devices of one host share when they copy at once (a
  // host's memory system for shared-memory transports); 0 when nothing is shared.
  double sharedBandwidthBps = 0;
  // intra_host only: the latencies (every piece's) are not time on the link but the receiving
  // rank's work on its host, shared by the host's ranks as their memory passes are
  // (Topology::receiveWork): a shared-memory transport's receiver does the copying, so a message's
  // fixed cost is CPU time, and ranks that outnumber the cores wait for one.
  bool latencySharesHost = false;

  // The latency and bandwidth a message of `bytes` pays.
  LinkCost at(std::uint64_t bytes) const {
    for (const LinkPiece& p : pieces)
      if (bytes <= p.upToBytes) return p.cost;
    return {bandwidthBps, latencyS};
  }
  // The link inside one step over `stepBytes` per rank: no message's bandwidth above that of a
  // message of the step's size, each keeping its own latency (inStep, below). Unchanged without
  // pieces.
  Link inStep(std::uint64_t stepBytes) const;
};

enum class FabricKind {
  NonBlocking,     // every host can send and receive at its NIC rate at once
  Oversubscribed,  // the core carries hosts * NIC rate / oversubscription in all
  FatTree,         // two-level leaf-spine; each leaf's uplinks carry hostsPerLeaf * NIC rate / ratio
};

struct Fabric {
  FabricKind kind = FabricKind::NonBlocking;
  double oversubscription = 1;  // >= 1; 2 means 2:1
  int hostsPerLeaf = 0;         // fat-tree only
  double switchLatencyS = 0;    // added per switch a message passes through
};

struct Topology {
  std::string name;
  std::string description;
  std::string source;  // the file it came from, for messages
  int hosts = 1;
  int devicesPerHost = 1;  // GPUs or worker processes: the slots ranks are placed on
  Link intraHost;          // per device, between devices of one host
  Link nic;                // per NIC; latency host to host, switches excluded
  int nicsPerHost = 1;
  Fabric fabric;
  // The reduction cost γ measured on this machine (seconds per byte reduced, under the
  // concurrency the algorithms reduce with); negative when the file does not give it.
  double gammaSPerByte = -1;
  std::vector<CostPiece> gammaPieces;  // smaller reductions, when the file gives them
  // A reduction into a third buffer (sum(): the ring's, halving-doubling's, recursive doubling's)
  // reads the destination's lines before writing them, four streams of memory traffic where
  // gamma's in-place add has three; negative when the file does not give it (then gamma).
  double gammaSumSPerByte = -1;
  std::vector<CostPiece> gammaSumPieces;
  // What one pass of the algorithm's own over memory costs (copying a buffer, scaling it): seconds
  // per byte, every rank at once; 0 when the file does not give it (a network's costs dwarf it).
  double copySPerByte = 0;
  std::vector<CostPiece> copyPieces;
  // Scaling a buffer in place right after a reduction into it (every algorithm's division by n
  // follows its last sum into those bytes): one stream read and written, partly still in cache,
  // where a copy reads one buffer and writes another. Negative when the file does not give it
  // (then copy). Measured here, 0.04 ns/B where the copy took 0.07 (2 ranks, 2-32 MiB).
  double scaleSPerByte = -1;
  std::vector<CostPiece> scalePieces;
  // The SGD step after a reduction (w -= lr * g / n: the parameter server's update), which
  // divides per element as scale does and reads two buffers as gamma's add: negative when the file
  // does not give it (then gamma).
  double sgdSPerByte = -1;
  std::vector<CostPiece> sgdPieces;
  // How many of one host's ranks pass over memory (reduce, copy) at once at full speed: with it
  // given, gamma, gamma_sum and copy are a rank's costs alone, and k > it ranks passing at once
  // share the host's memory, each taking k/it as long (the fluid model SimGrid shares a host's
  // cores with). 0 when the file does not give it: every pass at its cost, whatever runs beside.
  double memoryParallelism = 0;
  // Added per byte a pass writes to memory that a peer has read since this rank last wrote it
  // (its lines sit in the peer's caches: ByteRanges): seconds per byte, by the pass's size. 0
  // when the file does not give it.
  double writeAfterSendSPerByte = 0;
  std::vector<CostPiece> writeAfterSendPieces;
  // Added per byte of a message between two ranks of one host, by the message's size: bytes the
  // sender has written since it last sent them (a sum's result, what it received: the lines sit
  // modified in its caches), and bytes it has not (its gradient, only read). intra_host's pieces
  // are then the faster of the two at each size, and these what the other state adds. Measured
  // here the written state cost 2x at 64-256 KiB and the other one 1.1-1.3x from 1 MiB. 0 when
  // the file does not give them (the link as measured, for either).
  double sendWrittenSPerByte = 0;
  std::vector<CostPiece> sendWrittenPieces;
  double sendUnwrittenSPerByte = 0;
  std::vector<CostPiece> sendUnwrittenPieces;
  // The compute rate of one device (`device:`), for training steps (commsim/workload.hpp): its
  // peak FLOP/s and the fraction of it a training step sustains. 0: not stated.
  double deviceFlops = 0;
  double deviceEfficiency = 1;

  long long slots() const { return static_cast<long long>(hosts) * devicesPerHost; }
  // With intra_host.latency_shares_host, the work a rank does after receiving a message from a
  // rank of its own host (the message then crosses the link with no latency): the piece's latency,
  // times min(1, memory_parallelism / 2) where that is given, as the latencies were timed with both
  // ranks of a pair receiving at once, two ranks sharing the host's memory_parallelism. Nothing
  // (MessageCost::any() false) without the key.
  MessageCost receiveWork() const;
  // The latency a message of `bytes` pays on the links between two ranks of one host: the link's,
  // or none where receiveWork() carries it.
  double intraHostLinkLatencyS(std::uint64_t bytes) const {
    return intraHost.latencySharesHost ? 0 : intraHost.at(bytes).latencyS;
  }
  double hostNicBandwidthBps() const { return nic.bandwidthBps * nicsPerHost; }
  double computeRate() const { return deviceFlops * deviceEfficiency; }  // sustained FLOP/s
};

// A piecewise figure is what a transfer or pass of that size costs timed alone, over and over on
// the same buffers, which the caches then hold. A step's rounds go over the whole gradient, whose
// lines a small chunk's transfer finds in the caches only as far as a transfer of the step's
// size would: so inside a step over `stepBytes` per rank, no message moves faster per byte, and
// no pass costs less per byte, than one of stepBytes. Pieces above stepBytes are unchanged.
// (4 ranks on this machine, the ring at 64 MiB: its 16 MiB chunks at 16 MiB's calibrated rate
// predicted the step 41% short, at 64 MiB's 5% (the median of 12 `validate` runs).)
Topology inStep(const Topology& t, std::uint64_t stepBytes);

std::string_view fabricName(FabricKind kind);

// Reads and validates a topology file. Throws UsageError with one line
// "<file>: <field>: <what is wrong> (<what is allowed>)".
Topology loadTopology(const std::string& path);
// The same from YAML text; `source` names it in messages.
Topology parseTopology(std::string_view yaml, const std::string& source);

// "400 Gbps", "12.5GBps" -> bytes per second. Units: Gbps, Mbps (bits, 10^9 and 10^6), GBps,
// MBps (bytes, 10^9 and 10^6). Throws UsageError("<where>: '<text>' ...") unless > 0.
double parseBandwidth(std::string_view text, std::string_view where);
// "2 us", "150ns" -> seconds. Units: s, ms, us, ns. Throws UsageError unless >= 0.
double parseLatency(std::string_view text, std::string_view where);
// "0.25 ns/B" -> seconds per byte. Units: s/B, ms/B, us/B, ns/B, ps/B. Throws unless >= 0.
double parseCostPerByte(std::string_view text, std::string_view where);

}  // namespace commsim
