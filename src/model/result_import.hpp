// Results users already have, read as the message times `calibrate` would have measured
// (`commsim calibrate --from FILE`, SPEC §13): nccl-tests' all_reduce_perf (its text output and
// its -J JSON file) and the OSU micro-benchmarks' osu_latency, osu_bw and osu_allreduce.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace commsim {

// What the ranks of an OSU run were, which its output does not say.
struct ImportHints {
  int ranks = 0;  // 0: not given (osu_allreduce needs it; the point-to-point tests are 2 ranks)
  int hosts = 0;  // 0: not given (nccl-tests names its hosts; OSU runs default to one host)
};

struct ImportedResults {
  std::string source;  // the file
  std::string kind;    // "nccl-tests all_reduce_perf", "osu_latency", "osu_bw", "osu_allreduce"
  int ranks = 0;
  int hosts = 0;
  // One message of sizes[i] bytes takes times[i] seconds on the link: for point-to-point tests
  // the one-way latency or size / bandwidth; for an all-reduce of m bytes on n ranks, a ring's
  // step, m/n bytes in t / (2(n-1)) seconds (its 2(n-1) dependent messages, SPEC §4).
  std::vector<std::uint64_t> sizes;
  std::vector<double> times;
};

// Recognises the format from the text and reads it. Throws UsageError with one line naming the
// file (and line) for output it does not recognise, or that contradicts itself (busbw / algbw
// not an all-reduce's 2(n-1)/n, wrong elements reported, fewer than two sizes).
ImportedResults importResults(const std::string& text, const std::string& source,
                              const ImportHints& hints);

}  // namespace commsim
