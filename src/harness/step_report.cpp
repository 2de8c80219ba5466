#include "commsim/step_report.hpp"

#include <string>

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

void addJson(nlohmann::ordered_json& row, const CountsRow& r) {
  using Json = nlohmann::ordered_json;
  const Counters& c = r.counters;
  const Expectation& e = r.expected;
  auto counted = [&](std::uint64_t v) { return e.counted ? Json(v) : Json(nullptr); };
  auto formula = [&](const std::string& f) { return e.counted ? Json(f) : Json(nullptr); };
  row["paradigm"] = r.paradigm;
  row["variant"] = r.variant;
  row["workers"] = r.workers;
  row["messages"] = counted(c.messagesSent);
  row["expected_messages"] = counted(e.messages);
  row["messages_formula"] = formula(e.messagesFormula);
  row["message_bytes_min"] = counted(c.minMessageBytes);
  row["message_bytes_max"] = counted(c.maxMessageBytes);
  row["expected_message_bytes_min"] = counted(e.minMessageBytes);
  row["expected_message_bytes_max"] = counted(e.maxMessageBytes);
  row["empty_messages"] = counted(c.emptySent);
  row["total_bytes"] = counted(c.bytesSent);
  row["expected_total_bytes"] = counted(e.totalBytes);
  row["bytes_formula"] = formula(e.bytesFormula);
  row["bytes_received"] = counted(c.bytesReceived);
  row["counted"] = e.counted;
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

}  // namespace commsim
