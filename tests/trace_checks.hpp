// Checks of a timeline written by --trace (SPEC §12) against the rows of the run it traced.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace commsim::test {

inline nlohmann::json readTrace(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "no trace at " << path;
  if (!in.good()) return {};
  return nlohmann::json::parse(in);
}

// The complete (send and receive) events of a trace.
inline std::vector<nlohmann::json> spans(const nlohmann::json& trace) {
  std::vector<nlohmann::json> out;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "X") out.push_back(e);
  return out;
}

// Every process named "rank r (host)" for r < ranks; every span with its fields.
inline void expectWellFormed(const nlohmann::json& trace, int ranks) {
  ASSERT_TRUE(trace.at("traceEvents").is_array());
  std::set<int> named;
  for (const auto& e : trace.at("traceEvents")) {
    for (const char* key : {"ph", "pid"}) ASSERT_TRUE(e.contains(key)) << e.dump();
    if (e.at("ph") == "M" && e.at("name") == "process_name") {
      const int pid = e.at("pid");
      const std::string name = e.at("args").at("name");
      EXPECT_EQ(name.rfind("rank " + std::to_string(pid) + " (", 0), 0u) << name;
      EXPECT_GT(name.size(), ("rank " + std::to_string(pid) + " ()").size()) << "no host: " << name;
      named.insert(pid);
    }
    if (e.at("ph") != "X") continue;
    for (const char* key : {"name", "cat", "tid", "ts", "dur", "args"})
      ASSERT_TRUE(e.contains(key)) << key << " missing: " << e.dump();
    for (const char* key : {"bytes", "peer", "tag", "algorithm", "round", "step"})
      ASSERT_TRUE(e.at("args").contains(key)) << key << " missing: " << e.dump();
    EXPECT_TRUE(e.at("cat") == "send" || e.at("cat") == "recv") << e.dump();
    EXPECT_GE(e.at("ts").get<double>(), 0) << e.dump();
    EXPECT_GE(e.at("dur").get<double>(), 0) << e.dump();
    EXPECT_NE(e.at("args").at("peer").get<int>(), e.at("pid").get<int>()) << e.dump();
    EXPECT_LT(e.at("pid").get<int>(), ranks) << e.dump();
  }
  for (int r = 0; r < ranks; ++r) EXPECT_TRUE(named.count(r)) << "rank " << r << " is not named";
}

// Every flow joins one send to one receive: one start and one finish per id, the start inside a
// send of its process to the finish's process, the finish inside a receive from the start's
// process, no earlier than the start (within the stated clock error); and there are as many flows
// as sends.
inline void expectFlowsPairSendsWithReceives(const nlohmann::json& trace) {
  const std::vector<nlohmann::json> all = spans(trace);
  // clock_error_us bounds each rank's alignment to rank 0; a send and its receive are on two
  // ranks, so their times can be off by twice that (the sanitizer suite, under load, met it).
  const double slack = 2 * trace.at("otherData").at("clock_error_us").get<double>() + 0.002;
  std::map<std::uint64_t, std::vector<nlohmann::json>> flows;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "s" || e.at("ph") == "f") flows[e.at("id").get<std::uint64_t>()].push_back(e);
  const auto inside = [&](const nlohmann::json& point, const char* cat, int peer) {
    const double ts = point.at("ts");
    return std::any_of(all.begin(), all.end(), [&](const nlohmann::json& x) {
      const double t0 = x.at("ts"), t1 = t0 + x.at("dur").get<double>();
      return x.at("cat") == cat && x.at("pid") == point.at("pid") &&
             x.at("args").at("peer") == peer && ts >= t0 - 0.0005 && ts <= t1 + 0.0005;
    });
  };
  std::size_t sends = 0;
  for (const auto& e : all) sends += e.at("cat") == "send";
  EXPECT_EQ(flows.size(), sends) << "one flow per message";
  for (const auto& [id, pair] : flows) {
    ASSERT_EQ(pair.size(), 2u) << "flow " << id;
    const auto& s = pair[0].at("ph") == "s" ? pair[0] : pair[1];
    const auto& f = pair[0].at("ph") == "s" ? pair[1] : pair[0];
    ASSERT_EQ(s.at("ph"), "s") << "flow " << id;
    ASSERT_EQ(f.at("ph"), "f") << "flow " << id;
    EXPECT_EQ(f.at("bp"), "e") << "flow " << id;
    EXPECT_TRUE(inside(s, "send", f.at("pid"))) << "flow " << id << " starts in no send: " << s.dump();
    EXPECT_TRUE(inside(f, "recv", s.at("pid"))) << "flow " << id << " ends in no receive: " << f.dump();
    EXPECT_GE(f.at("ts").get<double>(), s.at("ts").get<double>() - slack)
        << "a receive completed before its send was posted: flow " << id;
  }
}

// On each rank, within each step, the rounds never decrease in time order (the events of a later
// round are posted after the wait that ended the earlier one).
inline void expectRoundsInOrder(const nlohmann::json& trace) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, int>>> byRankStep;
  for (const auto& e : spans(trace))
    byRankStep[{e.at("pid").get<int>(), e.at("args").at("step").get<int>()}].push_back(
        {e.at("ts").get<double>(), e.at("args").at("round").get<int>()});
  for (auto& [key, events] : byRankStep) {
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < events.size(); ++i)
      EXPECT_LE(events[i - 1].second, events[i].second)
          << "rank " << key.first << " step " << key.second << ": round " << events[i].second
          << " at " << events[i].first << " us after round " << events[i - 1].second;
  }
}

// Step i of the trace is row i of the run (times `repeat` consecutive steps per row, for bench
// --trace-all): its send events equal the row's messages column, their bytes its total_bytes
// column, the receives the same, all named with the row's algorithm. A ring's workers send once
// in each of its 2(n-1) rounds.
inline void expectStepsMatchRows(const nlohmann::json& trace, const nlohmann::json& rows,
                                 int workers, int repeat = 1) {
  struct Totals {
    std::uint64_t sends = 0, sendBytes = 0, recvs = 0, recvBytes = 0;
  };
  std::map<int, Totals> steps;
  std::map<std::tuple<int, int>, std::vector<int>> ringRounds;  // (step, rank) -> send rounds
  int lastStep = -1;
  for (const auto& e : spans(trace)) {
    const int step = e.at("args").at("step");
    lastStep = std::max(lastStep, step);
    const auto row = static_cast<std::size_t>(step / repeat);
    ASSERT_LT(row, rows.size()) << e.dump();
    EXPECT_EQ(e.at("args").at("algorithm"), rows[row].at("paradigm")) << e.dump();
    Totals& t = steps[step];
    const auto bytes = e.at("args").at("bytes").get<std::uint64_t>();
    if (e.at("cat") == "send") {
      ++t.sends, t.sendBytes += bytes;
      if (rows[row].at("paradigm") == "ring-allreduce")
        ringRounds[{step, e.at("pid").get<int>()}].push_back(e.at("args").at("round"));
    } else {
      ++t.recvs, t.recvBytes += bytes;
    }
  }
  EXPECT_LT(lastStep, static_cast<int>(rows.size()) * repeat);
  for (std::size_t i = 0; i < rows.size() * static_cast<std::size_t>(repeat); ++i) {
    const auto& row = rows[i / static_cast<std::size_t>(repeat)];
    const Totals t = steps[static_cast<int>(i)];
    const bool counted = !row.at("messages").is_null();
    const std::uint64_t messages = counted ? row.at("messages").get<std::uint64_t>() : 0;
    const std::uint64_t bytes = counted ? row.at("total_bytes").get<std::uint64_t>() : 0;
    EXPECT_EQ(t.sends, messages) << "step " << i << ": " << row.dump();
    EXPECT_EQ(t.sendBytes, bytes) << "step " << i << ": " << row.dump();
    EXPECT_EQ(t.recvs, t.sends) << "step " << i;
    EXPECT_EQ(t.recvBytes, t.sendBytes) << "step " << i;
  }
  for (auto& [key, rounds] : ringRounds) {
    std::sort(rounds.begin(), rounds.end());
    std::vector<int> want(static_cast<std::size_t>(2 * (workers - 1)));
    for (std::size_t r = 0; r < want.size(); ++r) want[r] = static_cast<int>(r);
    EXPECT_EQ(rounds, want) << "ring step " << std::get<0>(key) << ", rank " << std::get<1>(key);
  }
}

// All of the above, for a trace that kept every event.
inline void expectTraceOfRows(const nlohmann::json& trace, const nlohmann::json& rows, int ranks,
                              int workers, int repeat = 1) {
  expectWellFormed(trace, ranks);
  EXPECT_FALSE(trace.at("otherData").at("truncated").get<bool>());
  EXPECT_EQ(trace.at("otherData").at("dropped_events").get<std::uint64_t>(), 0u);
  expectStepsMatchRows(trace, rows, workers, repeat);
  expectFlowsPairSendsWithReceives(trace);
  expectRoundsInOrder(trace);
}

}  // namespace commsim::test
