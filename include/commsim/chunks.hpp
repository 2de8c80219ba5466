// Floor-plus-remainder partition of p elements into n parts: part i has q + (i < r) elements,
// q = p / n, r = p % n, and starts at i*q + min(i, r). Every split in commsim goes through here.
#pragma once

#include <algorithm>
#include <cstdint>

namespace commsim {

struct Partition {
  std::uint64_t total;
  std::uint64_t parts;

  std::uint64_t count(std::uint64_t i) const {
    return total / parts + (i < total % parts ? 1 : 0);
  }
  std::uint64_t offset(std::uint64_t i) const {
    return i * (total / parts) + std::min(i, total % parts);
  }
  std::uint64_t minCount() const { return total / parts; }
  std::uint64_t maxCount() const { return total / parts + (total % parts ? 1 : 0); }
  // Parts with no element at all (p < n).
  std::uint64_t emptyParts() const { return total < parts ? parts - total : 0; }
};

}  // namespace commsim
