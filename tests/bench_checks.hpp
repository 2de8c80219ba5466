// Assertions on a `commsim bench` JSON document: the SPEC §6 fields, and for every size the
// counts of every paradigm against the closed forms.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "table_checks.hpp"

namespace commsim::test {

// The sizes a sweep from b to e by factor f visits.
inline std::vector<std::uint64_t> sweep(std::uint64_t b, std::uint64_t e, std::uint64_t f) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t size = b; size <= e; size *= f) sizes.push_back(size);
  return sizes;
}

// Checks every row; returns, per paradigm, the sizes it had a row for.
inline std::map<std::string, std::vector<std::uint64_t>> expectBenchMatchesFormulas(
    const nlohmann::json& doc, int worldSize, int workers, std::uint64_t s) {
  for (const char* field : {"world_size", "workers", "dtype", "element_bytes", "rows",
                            "peak_rss_bytes", "ranks_per_process", "memory_bound_bytes",
                            "baseline_ratios", "skipped", "ok"})
    EXPECT_TRUE(doc.contains(field)) << field;
  EXPECT_EQ(doc.at("world_size").get<int>(), worldSize);
  EXPECT_EQ(doc.at("workers").get<int>(), workers);
  EXPECT_EQ(doc.at("element_bytes").get<std::uint64_t>(), s);
  EXPECT_EQ(doc.at("peak_rss_bytes").size(), static_cast<std::size_t>(worldSize));
  for (const auto& rss : doc.at("peak_rss_bytes")) EXPECT_GT(rss.get<std::uint64_t>(), 0u);
  EXPECT_TRUE(doc.at("ok").get<bool>());
  std::map<std::string, std::vector<std::uint64_t>> sizes;
  for (const auto& row : doc.at("rows")) {
    for (const char* field :
         {"size_bytes", "count", "paradigm", "messages", "message_bytes_min", "message_bytes_max",
          "total_bytes", "expected_messages", "expected_total_bytes", "ok", "wrong", "time_s",
          "time_avg_s", "time_min_s", "time_max_s", "time_p50_s", "time_p99_s", "slowest_rank",
          "slowest_rank_iterations", "straggler", "algbw_GBps", "busbw_GBps", "iterations"})
      EXPECT_TRUE(row.contains(field)) << field;
    const auto size = row.at("size_bytes").get<std::uint64_t>();
    const auto count = row.at("count").get<std::uint64_t>();
    EXPECT_EQ(size, count * s);
    const double lo = row.at("time_min_s"), avg = row.at("time_avg_s"), hi = row.at("time_max_s");
    EXPECT_LE(lo, avg);
    EXPECT_LE(avg, hi);
    const double p50 = row.at("time_p50_s"), p99 = row.at("time_p99_s");
    EXPECT_LE(lo, p50);
    EXPECT_LE(p50, p99);
    EXPECT_LE(p99, hi);
    EXPECT_GE(row.at("slowest_rank").get<int>(), 0);
    EXPECT_LT(row.at("slowest_rank").get<int>(), worldSize);
    EXPECT_GE(row.at("slowest_rank_iterations").get<int>(), 1);
    EXPECT_LE(row.at("slowest_rank_iterations").get<int>(), row.at("iterations").get<int>());
    EXPECT_EQ(row.at("time_s").get<double>(), avg);
    const std::string name = row.at("paradigm");
    if (name == "mpi-allreduce") {  // the library's messages: not counted, nothing of ours sent
      EXPECT_FALSE(row.at("counted").get<bool>());
      EXPECT_TRUE(row.at("messages").is_null());
      EXPECT_TRUE(row.at("total_bytes").is_null());
      EXPECT_EQ(row.at("wrong").get<std::uint64_t>(), 0u);
      EXPECT_TRUE(row.at("ok").get<bool>());
    } else {
      EXPECT_TRUE(row.at("counted").get<bool>());
      expectRowMatchesFormulas(row, static_cast<std::uint64_t>(workers), count, s);
    }
    sizes[name].push_back(size);
  }
  return sizes;
}

}  // namespace commsim::test
