// Which bytes of a rank's memory a peer has read since the rank last wrote them. A message goes
// out as a copy the receiver makes from the sender's pages (Open MPI's CMA on one host), which
// leaves the lines in the receiver's caches; the sender's next write to them must take them back
// first. Writing lines a peer has just read cost 2-11x a write to lines it has not (a 512 KiB sum,
// 2 ranks, this 2-core machine: 0.07-0.36 ns/B against 0.03-0.04), so a pass that writes sent
// bytes pays Topology::writeAfterSend on them. The cost model's recording and SimGrid's simulated
// memory keep one each per rank.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

#include "commsim/topology.hpp"

namespace commsim {

class SentRanges {
 public:
  // `bytes` from `at` were sent: a peer has read them.
  void sent(const void* at, std::uint64_t bytes) {
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
  // This rank writes `bytes` from `at`: returns how many of them a peer had read, and forgets them.
  std::uint64_t written(const void* at, std::uint64_t bytes) {
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
  // written(), priced: what a write of `bytes` from `at` adds at `surcharge` per byte read by a
  // peer (by the write's size, as every pass is priced).
  double surcharge(void* at, std::uint64_t bytes, const PassCost& surcharge) {
    const std::uint64_t shared = written(at, bytes);
    return shared > 0 ? static_cast<double>(shared) * costAt(surcharge.top, surcharge.pieces, bytes) : 0;
  }

 private:
  static std::uint64_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
  std::map<std::uint64_t, std::uint64_t> ranges_;  // begin -> end, disjoint, not touching
};

}  // namespace commsim
