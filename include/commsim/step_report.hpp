// The JSON row of one counted step: what `commsim table` prints per paradigm and what the SimGrid
// simulator (commsim-smpi) reports, so both carry the same field names (README, JSON fields).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

#include "commsim/harness.hpp"

namespace commsim {

nlohmann::ordered_json stepRow(const Paradigm& paradigm, const StepResult& result,
                               const Layout& layout, std::uint64_t count, std::size_t elementSize);

}  // namespace commsim
