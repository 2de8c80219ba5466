// Assertions on the rows of `commsim table` and `commsim bench` JSON, against the closed forms
// written out here.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace commsim::test {

// One row's counts against the closed forms of SPEC §1, for n workers, p elements of s bytes.
// Returns the row's paradigm name.
inline std::string expectRowMatchesFormulas(const nlohmann::json& row, std::uint64_t n,
                                            std::uint64_t p, std::uint64_t s) {
  const std::string name = row.at("paradigm");
  std::uint64_t messages = 0, bytes = 0, lo = 0, hi = 0;
  if (name == "all-to-all") {
    messages = n * (n - 1);
    bytes = messages * p * s;
    lo = hi = p * s;
  } else if (name == "parameter-server") {
    messages = 2 * n;
    bytes = 2 * n * p * s;
    lo = hi = p * s;
  } else if (name == "ring-allreduce") {
    messages = 2 * n * (n - 1);
    bytes = 2 * (n - 1) * p * s;
    lo = p / n * s;
    hi = (p + n - 1) / n * s;
  } else {
    ADD_FAILURE() << "unknown paradigm " << name;
  }
  if (messages == 0) lo = hi = 0;  // n = 1: nothing is sent
  EXPECT_EQ(row.at("messages").get<std::uint64_t>(), messages) << name;
  EXPECT_EQ(row.at("expected_messages").get<std::uint64_t>(), messages) << name;
  EXPECT_EQ(row.at("total_bytes").get<std::uint64_t>(), bytes) << name;
  EXPECT_EQ(row.at("expected_total_bytes").get<std::uint64_t>(), bytes) << name;
  EXPECT_EQ(row.at("message_bytes_min").get<std::uint64_t>(), lo) << name;
  EXPECT_EQ(row.at("message_bytes_max").get<std::uint64_t>(), hi) << name;
  EXPECT_EQ(row.at("wrong").get<std::uint64_t>(), 0u) << name;
  EXPECT_TRUE(row.at("ok").get<bool>()) << name;
  EXPECT_GT(row.at("time_s").get<double>(), 0.0) << name;
  return name;
}

inline void expectTableMatchesFormulas(const nlohmann::json& doc, int workers, std::uint64_t p,
                                       std::uint64_t s) {
  ASSERT_EQ(doc.at("workers").get<int>(), workers);
  ASSERT_EQ(doc.at("params").get<std::uint64_t>(), p);
  ASSERT_EQ(doc.at("element_bytes").get<std::uint64_t>(), s);
  std::set<std::string> seen;
  for (const auto& row : doc.at("rows"))
    seen.insert(expectRowMatchesFormulas(row, static_cast<std::uint64_t>(workers), p, s));
  EXPECT_EQ(seen.size(), 3u) << "expected the three paradigms";
  EXPECT_TRUE(doc.at("ok").get<bool>());
}

}  // namespace commsim::test
