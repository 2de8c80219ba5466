// The JSON of the counted rows (commsim/step_report.hpp): their field names, in one place, for
// the commands and the simulator. Private: the library's headers carry no JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "commsim/step_report.hpp"
#include "commsim/workload.hpp"

namespace commsim {

// The rows' JSON fields, in their order; the add forms append to a row that starts elsewhere.
void addJson(nlohmann::ordered_json& row, const CountsRow& counts);
// The counts as `commsim simulate`'s rows keep them, after their time: the counted fields less
// the per-message closed forms and the received bytes, then counts_ok, values_checked, wrong, ok.
void addSummaryJson(nlohmann::ordered_json& row, const CountsRow& counts, bool valuesChecked);
void addJson(nlohmann::ordered_json& row, const Bandwidth& bandwidth);
// time_s, algbw_GBps and busbw_GBps.
void addTimeJson(nlohmann::ordered_json& row, const StepRow& step);
// An element type's fields: dtype and element_bytes.
void addJson(nlohmann::ordered_json& doc, DType dtype);
nlohmann::ordered_json toJson(const CountsRow& counts);
nlohmann::ordered_json toJson(const StepRow& step);
// The inverses of toJson, for a row another process wrote (commsim-smpi's).
CountsRow countsRowFromJson(const nlohmann::ordered_json& row);
StepRow stepRowFromJson(const nlohmann::ordered_json& row);

// What commsim-smpi reports of one step (`"command": "smpi"`); `commsim simulate` reads back the
// row and whether values were checked, the rest is for a person reading --keep's files.
struct SimulatorStep {
  int worldSize = 0;
  int workers = 0;
  int servers = 0;
  std::uint64_t params = 0;
  DType dtype = DType::Float32;
  double gammaSPerByte = 0;
  std::string memory;
  StepRow row;
  bool valuesChecked = false;
};
nlohmann::ordered_json toJson(const SimulatorStep& step);
SimulatorStep simulatorStepFromJson(const nlohmann::ordered_json& doc);

// What commsim-smpi reports of one training step (`"command": "smpi-train"`): each bucket's
// counts (one synchronisation) and its span.
struct SimulatorBucket {
  CountsRow counts;
  BucketSpan span;
};
struct SimulatorTraining {
  int workers = 0;
  std::string variant;
  bool valuesChecked = false;
  std::vector<SimulatorBucket> buckets;
  bool ok = false;
};
nlohmann::ordered_json toJson(const SimulatorTraining& training);
SimulatorTraining simulatorTrainingFromJson(const nlohmann::ordered_json& doc);

}  // namespace commsim
