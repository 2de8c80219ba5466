#include "commsim/step_report.hpp"

namespace commsim {

nlohmann::ordered_json stepRow(const Paradigm& p, const StepResult& r, const Layout& layout,
                               std::uint64_t count, std::size_t s) {
  const double gradientBytes = static_cast<double>(count) * static_cast<double>(s);
  const double t = r.timeSeconds;
  nlohmann::ordered_json row;
  row["paradigm"] = p.name();
  row["variant"] = p.variant();
  row["workers"] = layout.workers;
  row["messages"] = r.counters.messagesSent;
  row["expected_messages"] = r.expected.messages;
  row["messages_formula"] = r.expected.messagesFormula;
  row["message_bytes_min"] = r.counters.minMessageBytes;
  row["message_bytes_max"] = r.counters.maxMessageBytes;
  row["expected_message_bytes_min"] = r.expected.minMessageBytes;
  row["expected_message_bytes_max"] = r.expected.maxMessageBytes;
  row["empty_messages"] = r.counters.emptySent;
  row["total_bytes"] = r.counters.bytesSent;
  row["expected_total_bytes"] = r.expected.totalBytes;
  row["bytes_formula"] = r.expected.bytesFormula;
  row["bytes_received"] = r.counters.bytesReceived;
  row["counts_ok"] = r.countsMatch();
  row["wrong"] = r.wrong;
  row["ok"] = r.ok();
  row["time_s"] = t;
  row["algbw_GBps"] = t > 0 ? gradientBytes / t / 1e9 : 0.0;
  row["busbw_GBps"] = t > 0 ? gradientBytes * p.busbwFactor(layout) / t / 1e9 : 0.0;
  return row;
}

}  // namespace commsim
