#include "commsim/step_report.hpp"

#include <string>

namespace commsim {

nlohmann::ordered_json countsRow(const Paradigm& p, const Layout& layout, const Counters& c,
                                 const Expectation& e, bool countsOk, std::uint64_t wrong) {
  using Json = nlohmann::ordered_json;
  auto counted = [&](std::uint64_t v) { return e.counted ? Json(v) : Json(nullptr); };
  auto formula = [&](const std::string& f) { return e.counted ? Json(f) : Json(nullptr); };
  Json row;
  row["paradigm"] = p.name();
  row["variant"] = p.variant(layout);
  row["workers"] = layout.workers;
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
  row["counts_ok"] = countsOk;
  row["wrong"] = wrong;
  row["ok"] = countsOk && wrong == 0;
  return row;
}

void addBandwidth(nlohmann::ordered_json& row, const Paradigm& p, const Layout& layout,
                  std::uint64_t count, std::size_t s, double seconds) {
  const double bytes = static_cast<double>(count) * static_cast<double>(s);
  row["algbw_GBps"] = seconds > 0 ? bytes / seconds / 1e9 : 0.0;
  row["busbw_GBps"] = seconds > 0 ? bytes * p.busbwFactor(layout) / seconds / 1e9 : 0.0;
}

nlohmann::ordered_json stepRow(const Paradigm& p, const StepResult& r, const Layout& layout,
                               std::uint64_t count, std::size_t s) {
  auto row = countsRow(p, layout, r.counters, r.expected, r.countsMatch(), r.wrong);
  row["time_s"] = r.timeSeconds;
  addBandwidth(row, p, layout, count, s, r.timeSeconds);
  return row;
}

}  // namespace commsim
