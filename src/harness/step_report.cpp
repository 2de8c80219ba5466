#include "commsim/step_report.hpp"

#include <string>

#include "harness/step_json.hpp"

namespace commsim {

CountsRow countsRow(const Paradigm& p, const Layout& layout, const Counters& c,
                    const Expectation& e, bool countsOk, std::uint64_t wrong) {
  return {std::string(p.name()), p.variant(layout), layout.workers, c, e, countsOk, wrong};
}

Bandwidth bandwidth(const Paradigm& p, const Layout& layout, std::uint64_t count, std::size_t s,
                    double seconds) {
  const double bytes = static_cast<double>(count) * static_cast<double>(s);
  if (seconds <= 0) return {};
  return {bytes / seconds / 1e9, bytes * p.busbwFactor(layout) / seconds / 1e9};
}

StepRow stepRow(const Paradigm& p, const StepResult& r, const Layout& layout, std::uint64_t count,
                std::size_t s) {
  return {countsRow(p, layout, r.counters, r.expected, r.countsMatch(), r.wrong), r.timeSeconds,
          bandwidth(p, layout, count, s, r.timeSeconds)};
}

namespace {

// The counted fields of a row, in their order: each is what the transport measured, the closed
// form's value, or the closed form itself; null in JSON for a baseline, which nothing counts.
// `summary`: whether `commsim simulate`'s rows keep it.
struct CountField {
  const char* name;
  bool summary;
  std::uint64_t Counters::*measured = nullptr;
  std::uint64_t Expectation::*expected = nullptr;
  std::string Expectation::*formula = nullptr;
};
const CountField kCountFields[] = {
    {"messages", true, &Counters::messagesSent},
    {"expected_messages", true, nullptr, &Expectation::messages},
    {"messages_formula", true, nullptr, nullptr, &Expectation::messagesFormula},
    {"message_bytes_min", true, &Counters::minMessageBytes},
    {"message_bytes_max", true, &Counters::maxMessageBytes},
    {"expected_message_bytes_min", false, nullptr, &Expectation::minMessageBytes},
    {"expected_message_bytes_max", false, nullptr, &Expectation::maxMessageBytes},
    {"empty_messages", true, &Counters::emptySent},
    {"total_bytes", true, &Counters::bytesSent},
    {"expected_total_bytes", true, nullptr, &Expectation::totalBytes},
    {"bytes_formula", true, nullptr, nullptr, &Expectation::bytesFormula},
    {"bytes_received", false, &Counters::bytesReceived},
};

constexpr const char* kValuesChecked = "values_checked";

void addCountFields(nlohmann::ordered_json& row, const CountsRow& r, bool summaryOnly) {
  for (const CountField& f : kCountFields) {
    if (summaryOnly && !f.summary) continue;
    nlohmann::ordered_json& v = row[f.name];
    if (!r.expected.counted) v = nullptr;
    else if (f.measured) v = r.counters.*f.measured;
    else if (f.expected) v = r.expected.*f.expected;
    else v = r.expected.*f.formula;
  }
}

// counts_ok, values_checked when given, wrong and ok.
void addChecks(nlohmann::ordered_json& row, const CountsRow& r, const bool* valuesChecked) {
  row["counts_ok"] = r.countsOk;
  if (valuesChecked) row[kValuesChecked] = *valuesChecked;
  row["wrong"] = r.wrong;
  row["ok"] = r.ok();
}

}  // namespace

void addJson(nlohmann::ordered_json& row, const CountsRow& r) {
  row["paradigm"] = r.paradigm;
  row["variant"] = r.variant;
  row["workers"] = r.workers;
  addCountFields(row, r, false);
  row["counted"] = r.expected.counted;
  addChecks(row, r, nullptr);
}

void addSummaryJson(nlohmann::ordered_json& row, const CountsRow& r, bool valuesChecked) {
  addCountFields(row, r, true);
  addChecks(row, r, &valuesChecked);
}

void addJson(nlohmann::ordered_json& doc, DType dtype) {
  doc["dtype"] = dtypeName(dtype);
  doc["element_bytes"] = elementBytes(dtype);
}

void addJson(nlohmann::ordered_json& row, const Bandwidth& b) {
  row["algbw_GBps"] = b.algbwGBps;
  row["busbw_GBps"] = b.busbwGBps;
}

void addTimeJson(nlohmann::ordered_json& row, const StepRow& step) {
  row["time_s"] = step.timeS;
  addJson(row, step.bandwidth);
}

nlohmann::ordered_json toJson(const CountsRow& counts) {
  nlohmann::ordered_json row;
  addJson(row, counts);
  return row;
}

nlohmann::ordered_json toJson(const StepRow& step) {
  auto row = toJson(step.counts);
  addTimeJson(row, step);
  return row;
}

CountsRow countsRowFromJson(const nlohmann::ordered_json& row) {
  CountsRow c;
  c.paradigm = row.at("paradigm").get<std::string>();
  c.variant = row.at("variant").get<std::string>();
  c.workers = row.at("workers").get<int>();
  c.expected.counted = row.at("counted").get<bool>();
  for (const CountField& f : kCountFields) {
    const nlohmann::ordered_json& v = row.at(f.name);
    if (v.is_null()) continue;
    if (f.measured) c.counters.*f.measured = v.get<std::uint64_t>();
    else if (f.expected) c.expected.*f.expected = v.get<std::uint64_t>();
    else c.expected.*f.formula = v.get<std::string>();
  }
  c.countsOk = row.at("counts_ok").get<bool>();
  c.wrong = row.at("wrong").get<std::uint64_t>();
  return c;
}

StepRow stepRowFromJson(const nlohmann::ordered_json& row) {
  StepRow r;
  r.counts = countsRowFromJson(row);
  r.timeS = row.at("time_s").get<double>();
  r.bandwidth = {row.at("algbw_GBps").get<double>(), row.at("busbw_GBps").get<double>()};
  return r;
}

nlohmann::ordered_json toJson(const SimulatorStep& s) {
  nlohmann::ordered_json doc;
  doc["command"] = "smpi";
  doc["world_size"] = s.worldSize;
  doc["workers"] = s.workers;
  doc["servers"] = s.servers;
  doc["params"] = s.params;
  addJson(doc, s.dtype);
  doc["gamma_s_per_byte"] = s.gammaSPerByte;
  doc["memory"] = s.memory;
  auto row = toJson(s.row);
  row[kValuesChecked] = s.valuesChecked;
  doc["row"] = row;
  return doc;
}

SimulatorStep simulatorStepFromJson(const nlohmann::ordered_json& doc) {
  SimulatorStep s;
  const nlohmann::ordered_json& row = doc.at("row");
  s.row = stepRowFromJson(row);
  s.valuesChecked = row.at(kValuesChecked).get<bool>();
  return s;
}

nlohmann::ordered_json toJson(const SimulatorTraining& t) {
  nlohmann::ordered_json doc;
  doc["command"] = "smpi-train";
  doc["workers"] = t.workers;
  doc["variant"] = t.variant;
  doc[kValuesChecked] = t.valuesChecked;
  doc["buckets"] = nlohmann::ordered_json::array();
  for (const SimulatorBucket& b : t.buckets) {
    auto row = toJson(b.counts);
    row["start_s"] = b.span.startS;
    row["end_s"] = b.span.endS;
    doc["buckets"].push_back(row);
  }
  doc["ok"] = t.ok;
  return doc;
}

SimulatorTraining simulatorTrainingFromJson(const nlohmann::ordered_json& doc) {
  SimulatorTraining t;
  t.workers = doc.at("workers").get<int>();
  t.variant = doc.at("variant").get<std::string>();
  t.valuesChecked = doc.at(kValuesChecked).get<bool>();
  for (const nlohmann::ordered_json& b : doc.at("buckets"))
    t.buckets.push_back({countsRowFromJson(b),
                         {b.at("start_s").get<double>(), b.at("end_s").get<double>()}});
  t.ok = doc.at("ok").get<bool>();
  return t;
}

}  // namespace commsim
