// The JSON rows of counted steps: what `commsim table` prints per paradigm, what `commsim bench`
// prints per size and paradigm, and what the SimGrid simulator (commsim-smpi) reports, so all
// carry the same field names (README, JSON fields).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

#include "commsim/harness.hpp"

namespace commsim {

// The fields every row shares: what the transport counted beside the closed form, and the check.
// A baseline's counts are null: its library's messages are not counted (`counted` false).
nlohmann::ordered_json countsRow(const Paradigm& paradigm, const Layout& layout,
                                 const Counters& counters, const Expectation& expected,
                                 bool countsOk, std::uint64_t wrong);

// algbw = p*s / time and busbw = the busiest endpoint's bytes / time (SPEC §3), in 10^9 B/s.
void addBandwidth(nlohmann::ordered_json& row, const Paradigm& paradigm, const Layout& layout,
                  std::uint64_t count, std::size_t elementSize, double seconds);

// One checked step: countsRow, `time_s` and the bandwidths.
nlohmann::ordered_json stepRow(const Paradigm& paradigm, const StepResult& result,
                               const Layout& layout, std::uint64_t count, std::size_t elementSize);

}  // namespace commsim
