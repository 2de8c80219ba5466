// Assertions on the rows of `commsim table` and `commsim bench` JSON, against the closed forms
// of the specification (algorithm_forms.hpp).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "algorithm_forms.hpp"
#include "commsim/algorithms.hpp"

namespace commsim::test {

// One row's counts against the closed forms of SPEC §1 and §10 (algorithm_forms.hpp), for n
// workers, p elements of s bytes, the algorithms made with `options` (G: the hierarchical ring's
// ranks per host). Returns the row's paradigm name.
inline std::string expectRowMatchesFormulas(const nlohmann::json& row, std::uint64_t n,
                                            std::uint64_t p, std::uint64_t s,
                                            const AlgorithmOptions& options = {},
                                            std::uint64_t G = 0) {
  const std::string name = row.at("paradigm");
  const auto names = algorithmNames();
  if (std::find(names.begin(), names.end(), name) == names.end())
    ADD_FAILURE() << "unknown paradigm " << name;
  const auto f = testing_forms::specForm(name, options, n, p, s, G ? G : n);
  EXPECT_EQ(row.at("messages").get<std::uint64_t>(), f.messages) << name;
  EXPECT_EQ(row.at("expected_messages").get<std::uint64_t>(), f.messages) << name;
  EXPECT_EQ(row.at("total_bytes").get<std::uint64_t>(), f.totalBytes) << name;
  EXPECT_EQ(row.at("expected_total_bytes").get<std::uint64_t>(), f.totalBytes) << name;
  if (f.sizes) {
    EXPECT_EQ(row.at("message_bytes_min").get<std::uint64_t>(), f.minMessageBytes) << name;
    EXPECT_EQ(row.at("message_bytes_max").get<std::uint64_t>(), f.maxMessageBytes) << name;
  }
  EXPECT_EQ(row.at("wrong").get<std::uint64_t>(), 0u) << name;
  EXPECT_TRUE(row.at("ok").get<bool>()) << name;
  EXPECT_GT(row.at("time_s").get<double>(), 0.0) << name;
  return name;
}

// A table document: `rows` rows, by default the table's three.
inline void expectTableMatchesFormulas(const nlohmann::json& doc, int workers, std::uint64_t p,
                                       std::uint64_t s, std::size_t rows = 3,
                                       const AlgorithmOptions& options = {}, std::uint64_t G = 0) {
  ASSERT_EQ(doc.at("workers").get<int>(), workers);
  ASSERT_EQ(doc.at("params").get<std::uint64_t>(), p);
  ASSERT_EQ(doc.at("element_bytes").get<std::uint64_t>(), s);
  std::set<std::string> seen;
  for (const auto& row : doc.at("rows"))
    seen.insert(expectRowMatchesFormulas(row, static_cast<std::uint64_t>(workers), p, s, options, G));
  EXPECT_EQ(seen.size(), rows) << "rows";
  EXPECT_TRUE(doc.at("ok").get<bool>());
}

}  // namespace commsim::test
