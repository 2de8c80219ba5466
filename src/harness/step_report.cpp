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
struct CountField {
  const char* name;
  std::uint64_t Counters::*measured = nullptr;
  std::uint64_t Expectation::*expected = nullptr;
  std::string Expectation::*formula = nullptr;
};
const CountField kCountFields[] = {
    {"messages", &Counters::messagesSent},
    {"expected_messages", nullptr, &Expectation::messages},
    {"messages_formula", nullptr, nullptr, &Expectation::messagesFormula},
    {"message_bytes_min", &Counters::minMessageBytes},
    {"message_bytes_max", &Counters::maxMessageBytes},
    {"expected_message_bytes_min", nullptr, &Expectation::minMessageBytes},
    {"expected_message_bytes_max", nullptr, &Expectation::maxMessageBytes},
    {"empty_messages", &Counters::emptySent},
    {"total_bytes", &Counters::bytesSent},
    {"expected_total_bytes", nullptr, &Expectation::totalBytes},
    {"bytes_formula", nullptr, nullptr, &Expectation::bytesFormula},
    {"bytes_received", &Counters::bytesReceived},
};

}  // namespace

void addJson(nlohmann::ordered_json& row, const CountsRow& r) {
  row["paradigm"] = r.paradigm;
  row["variant"] = r.variant;
  row["workers"] = r.workers;
  for (const CountField& f : kCountFields) {
    nlohmann::ordered_json& v = row[f.name];
    if (!r.expected.counted) v = nullptr;
    else if (f.measured) v = r.counters.*f.measured;
    else if (f.expected) v = r.expected.*f.expected;
    else v = r.expected.*f.formula;
  }
  row["counted"] = r.expected.counted;
  row["counts_ok"] = r.countsOk;
  row["wrong"] = r.wrong;
  row["ok"] = r.ok();
}

void addJson(nlohmann::ordered_json& row, const Bandwidth& b) {
  row["algbw_GBps"] = b.algbwGBps;
  row["busbw_GBps"] = b.busbwGBps;
}

nlohmann::ordered_json toJson(const CountsRow& counts) {
  nlohmann::ordered_json row;
  addJson(row, counts);
  return row;
}

nlohmann::ordered_json toJson(const StepRow& step) {
  auto row = toJson(step.counts);
  row["time_s"] = step.timeS;
  addJson(row, step.bandwidth);
  return row;
}

StepRow stepRowFromJson(const nlohmann::ordered_json& row) {
  StepRow r;
  CountsRow& c = r.counts;
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
  r.timeS = row.at("time_s").get<double>();
  r.bandwidth = {row.at("algbw_GBps").get<double>(), row.at("busbw_GBps").get<double>()};
  return r;
}

}  // namespace commsim
