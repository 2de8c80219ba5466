// Bad input on the command line (SPEC §7): exit status 2, one line on stderr naming the value and
// what is allowed, and nothing on stdout.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "process.hpp"

namespace commsim::test {

struct BadInput {
  std::vector<std::string> args;
  std::string message;  // a part of the one line on stderr
};

inline void PrintTo(const BadInput& c, std::ostream* os) {
  for (const auto& a : c.args) *os << a << ' ';
}

// Runs commsim with `leading` arguments followed by the case's.
inline void expectRefused(std::vector<std::string> leading, const BadInput& c) {
  leading.insert(leading.end(), c.args.begin(), c.args.end());
  const auto r = runProcess(commsim(leading), 60);
  EXPECT_FALSE(r.timedOut);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace commsim::test
