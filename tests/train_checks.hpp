// Checks of a training step's document that the train, predict and simulate tests share.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace commsim::test {

// The step's fields follow from the buckets as SPEC §11 defines them.
inline void expectStepConsistent(const nlohmann::json& doc) {
  const auto& step = doc.at("step");
  const double compute = step.at("compute_s"), comm = step.at("comm_s"),
               exposed = step.at("exposed_comm_s"), stepS = step.at("step_s"),
               overlap = step.at("overlap");
  double sum = 0, last = 0, previousEnd = 0;
  for (const auto& b : doc.at("buckets")) {
    const double start = b.at("start_s"), end = b.at("end_s");
    EXPECT_LE(start, end);
    EXPECT_GE(start, previousEnd - 1e-9) << "buckets run one after the other, in order";
    previousEnd = end;
    sum += end - start;
    last = std::max(last, end);
  }
  EXPECT_NEAR(comm, sum, 1e-9);
  EXPECT_NEAR(exposed, std::max(0.0, last - compute), 1e-9);
  EXPECT_NEAR(stepS, compute + exposed, 1e-9);
  EXPECT_NEAR(overlap, 1 - exposed / comm, 1e-9);
}

}  // namespace commsim::test
