// The rows of counted steps: what `commsim table` prints per paradigm, what `commsim bench`
// prints per size and paradigm, and what the SimGrid simulator (commsim-smpi) reports. Each row is
// a value first; its JSON (src/harness/step_json.hpp) names its fields once, so every command
// carries the same field names (README, JSON fields) and the text renderers read the values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "commsim/harness.hpp"

namespace commsim {

// The fields every row shares: what the transport counted beside the closed form, and the check.
// A baseline's counts are null in JSON: its library's messages are not counted
// (expected.counted false).
struct CountsRow {
  std::string paradigm;
  std::string variant;
  int workers = 0;
  Counters counters;
  Expectation expected;
  bool countsOk = false;
  std::uint64_t wrong = 0;
  bool ok() const { return countsOk && wrong == 0; }
};
CountsRow countsRow(const Paradigm& paradigm, const Layout& layout, const Counters& counters,
                    const Expectation& expected, bool countsOk, std::uint64_t wrong);

// algbw = p*s / time and busbw = the busiest endpoint's bytes / time (SPEC §3), in 10^9 B/s.
struct Bandwidth {
  double algbwGBps = 0;
  double busbwGBps = 0;
};
Bandwidth bandwidth(const Paradigm& paradigm, const Layout& layout, std::uint64_t count,
                    std::size_t elementSize, double seconds);

// One checked step: its counts, `time_s` and the bandwidths.
struct StepRow {
  CountsRow counts;
  double timeS = 0;
  Bandwidth bandwidth;
};
StepRow stepRow(const Paradigm& paradigm, const StepResult& result, const Layout& layout,
                std::uint64_t count, std::size_t elementSize);

}  // namespace commsim
