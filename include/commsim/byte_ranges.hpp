// Sets of byte ranges of one rank's memory, for what a cache line's last touch costs the next:
//
// - What peers have read since the rank last wrote it. A message goes out as a copy the receiver
//   makes from the sender's pages (Open MPI's CMA on one host), which leaves the lines in the
//   receiver's caches; the sender's next write to them must take them back first. Writing lines
//   a peer has just read cost 2-11x a write to lines it has not (a 512 KiB sum, 2 ranks, this
//   2-core machine: 0.07-0.36 ns/B against 0.03-0.04), so a pass that writes sent bytes pays
//   Topology::writeAfterSend on them.
// - What the rank has written since it last sent it. The peer's copy then takes the lines out of
//   the sender's caches, modified, where bytes the sender has only read since are clean: a 64 KiB
//   exchange took 6.9 us just written and 3.5 us read, 4 MiB 294 and 331 us (2 ranks, 2026-12-03).
//   A message between ranks of one host pays Topology::sendWritten or sendUnwritten on them.
//
// The cost model's recording and SimGrid's simulated memory keep one of each per rank.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

#include "commsim/topology.hpp"

namespace commsim {

class ByteRanges {
 public:
  // `bytes` from `at` join the set.
  void add(const void* at, std::uint64_t bytes) {
    if (bytes == 0) return;
    std::uint64_t begin = address(at), end = begin + bytes;
    // Merge with every range that touches [begin, end).
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin() && std::prev(it)->second >= begin) --it;
    while (it != ranges_.end() && it->first <= end) {
      begin = std::min(begin, it->first);
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(begin, end);
  }
  // How many of `bytes` from `at` are in the set; they leave it.
  std::uint64_t take(const void* at, std::uint64_t bytes) {
    if (bytes == 0 || ranges_.empty()) return 0;
    const std::uint64_t begin = address(at), end = begin + bytes;
    std::uint64_t overlap = 0;
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin() && std::prev(it)->second > begin) --it;
    while (it != ranges_.end() && it->first < end) {
      const std::uint64_t lo = std::max(begin, it->first), hi = std::min(end, it->second);
      overlap += hi - lo;
      const std::uint64_t first = it->first, last = it->second;
      it = ranges_.erase(it);
      // What lies outside [begin, end) stays; `it` already points past it.
      if (first < begin) ranges_.emplace(first, begin);
      if (last > end) ranges_.emplace(end, last);
    }
    return overlap;
  }
  // take(), priced: `surcharge` per byte taken, by the size of the whole access (a pass or a
  // message is priced by its own size, as every pass is).
  double takePriced(const void* at, std::uint64_t bytes, const PassCost& surcharge) {
    const std::uint64_t in = take(at, bytes);
    return in > 0 ? static_cast<double>(in) * costAt(surcharge.top, surcharge.pieces, bytes) : 0;
  }

 private:
  static std::uint64_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
  std::map<std::uint64_t, std::uint64_t> ranges_;  // begin -> end, disjoint, not touching
};

// One rank's memory as the costs above see it: what peers have read, and what it has written
// since it last sent it (kept only with `trackWrites`: a schedule of millions of messages need not).
class LineStates {
 public:
  explicit LineStates(bool trackWrites = false) : trackWrites_(trackWrites) {}
  // The rank writes `bytes` from `at` (a pass, or its copy of what it receives): the surcharge on
  // the bytes peers had read.
  double write(void* at, std::uint64_t bytes, const PassCost& writeAfterSend) {
    if (trackWrites_) written_.add(at, bytes);
    return readByPeers_.takePriced(at, bytes, writeAfterSend);
  }
  // The rank sends `bytes` from `at`: what the message adds by its bytes' state (`charged`: to a
  // rank of its own host, Topology::sendWritten and sendUnwritten). Sent, they are clean again.
  double send(const void* at, std::uint64_t bytes, bool charged, const PassCost& written,
              const PassCost& unwritten) {
    readByPeers_.add(at, bytes);
    if (!trackWrites_) return 0;
    const std::uint64_t fresh = written_.take(at, bytes);
    if (!charged) return 0;
    return static_cast<double>(fresh) * costAt(written.top, written.pieces, bytes) +
           static_cast<double>(bytes - fresh) * costAt(unwritten.top, unwritten.pieces, bytes);
  }

 private:
  bool trackWrites_;
  ByteRanges readByPeers_;
  ByteRanges written_;
};

}  // namespace commsim
