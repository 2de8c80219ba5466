#include <gtest/gtest.h>

#include <numeric>

#include "commsim/chunks.hpp"

namespace commsim {
namespace {

class PartitionTest : public ::testing::TestWithParam<std::uint64_t> {};

// For p in {0, 1, n-1, n, n+1, a large prime}: parts tile [0, p) in order, sizes differ by at
// most one, the larger ones come first, and min/max/empty agree with the parts themselves.
TEST_P(PartitionTest, TilesEveryElementOnce) {
  const std::uint64_t n = GetParam();
  for (std::uint64_t p : {std::uint64_t{0}, std::uint64_t{1}, n - 1, n, n + 1,
                          std::uint64_t{1000003}}) {
    const Partition part{p, n};
    std::uint64_t next = 0, lo = UINT64_MAX, hi = 0, empty = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      EXPECT_EQ(part.offset(i), next) << "p=" << p << " n=" << n << " part " << i;
      const auto c = part.count(i);
      if (i > 0) {
        EXPECT_LE(c, part.count(i - 1)) << "larger parts must come first";
      }
      lo = std::min(lo, c);
      hi = std::max(hi, c);
      empty += c == 0;
      next += c;
    }
    EXPECT_EQ(next, p) << "n=" << n;
    EXPECT_LE(hi - lo, 1u);
    EXPECT_EQ(part.minCount(), lo);
    EXPECT_EQ(part.maxCount(), hi);
    EXPECT_EQ(part.emptyParts(), empty);
  }
}

INSTANTIATE_TEST_SUITE_P(Parts, PartitionTest, ::testing::Values(1, 2, 3, 4, 7, 8, 64));

TEST(Partition, UnevenExample) {
  const Partition part{10, 4};  // 3, 3, 2, 2
  EXPECT_EQ(part.count(0), 3u);
  EXPECT_EQ(part.count(1), 3u);
  EXPECT_EQ(part.count(2), 2u);
  EXPECT_EQ(part.count(3), 2u);
  EXPECT_EQ(part.offset(2), 6u);
  EXPECT_EQ(part.offset(3), 8u);
}

}  // namespace
}  // namespace commsim
