// The JSON of the counted rows (commsim/step_report.hpp): their field names, in one place, for
// the commands and the simulator. Private: the library's headers carry no JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "commsim/step_report.hpp"

namespace commsim {

// The rows' JSON fields, in their order; the add forms append to a row that starts elsewhere.
void addJson(nlohmann::ordered_json& row, const CountsRow& counts);
void addJson(nlohmann::ordered_json& row, const Bandwidth& bandwidth);
nlohmann::ordered_json toJson(const CountsRow& counts);
nlohmann::ordered_json toJson(const StepRow& step);
// The inverse of toJson(StepRow), for a row another process wrote (commsim-smpi's).
StepRow stepRowFromJson(const nlohmann::ordered_json& row);

}  // namespace commsim
