// The closed forms of SPEC §1 and §10, written out here independently of the algorithms' own
// expect(), so a test compares the transport's counts with the specification, not the code with
// itself.
#pragma once

#include <cstdint>
#include <string>

#include "commsim/algorithms.hpp"

namespace commsim::testing_forms {

// What the specification fixes for one step: the count and the bytes always; the smallest and
// largest message where the table gives each message's size (sizes = false otherwise).
struct Form {
  std::uint64_t messages = 0;
  std::uint64_t totalBytes = 0;
  bool sizes = true;
  std::uint64_t minMessageBytes = 0;
  std::uint64_t maxMessageBytes = 0;
};

inline std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// n workers, p elements of s bytes; G = the hierarchical ring's ranks per host.
inline Form specForm(const std::string& name, const AlgorithmOptions& o, std::uint64_t n,
                     std::uint64_t p, std::uint64_t s, std::uint64_t G = 0) {
  Form f;
  auto each = [&](std::uint64_t lo, std::uint64_t hi) {
    f.minMessageBytes = f.messages ? lo * s : 0;
    f.maxMessageBytes = f.messages ? hi * s : 0;
  };
  std::uint64_t m = 1, k = 0;
  while (m * 2 <= n) m *= 2, ++k;
  const std::uint64_t r = n - m;
  if (name == "all-to-all") {
    f.messages = n * (n - 1);
    f.totalBytes = n * (n - 1) * p * s;
    each(p, p);
  } else if (name == "ring-allreduce" || name == "direct") {
    f.messages = 2 * n * (n - 1);
    f.totalBytes = 2 * (n - 1) * p * s;
    each(p / n, ceilDiv(p, n));
  } else if (name == "parameter-server" && o.colocated) {
    f.messages = 2 * (n - 1);
    f.totalBytes = 2 * (n - 1) * p * s;
    each(p, p);
  } else if (name == "parameter-server") {
    const std::uint64_t K = o.servers;
    f.messages = 2 * n * K;
    f.totalBytes = 2 * n * p * s;
    f.minMessageBytes = p / K * s;
    f.maxMessageBytes = ceilDiv(p, K) * s;
  } else if (name == "recursive-doubling") {
    f.messages = m * k + 2 * r;
    f.totalBytes = (m * k + 2 * r) * p * s;
    each(p, p);
  } else if (name == "halving-doubling") {
    f.messages = 2 * m * k + 2 * r;
    f.totalBytes = (2 * (m - 1) + 2 * r) * p * s;
    f.sizes = false;
  } else if (name == "binary-tree") {
    const std::uint64_t K = o.segments;
    f.messages = 2 * (n - 1) * K;
    f.totalBytes = 2 * (n - 1) * p * s;
    each(p / K, ceilDiv(p, K));
  } else if (name == "hierarchical-ring") {
    const std::uint64_t H = n / G;
    f.messages = 2 * n * (G + H - 2);
    f.totalBytes = (2 * H * (G - 1) + 2 * (H - 1)) * p * s;
    f.sizes = false;
  }
  return f;
}

}  // namespace commsim::testing_forms
