#include <gtest/gtest.h>

#include "commsim/error.hpp"
#include "core/size_parse.hpp"

namespace commsim {
namespace {

TEST(ParseSize, PlainAndBinarySuffixes) {
  EXPECT_EQ(parseSize("0"), 0u);
  EXPECT_EQ(parseSize("1000003"), 1000003u);
  EXPECT_EQ(parseSize("64K"), 65536u);
  EXPECT_EQ(parseSize("1M"), 1048576u);
  EXPECT_EQ(parseSize("64M"), 67108864u);
  EXPECT_EQ(parseSize("2G"), 2147483648u);
  EXPECT_EQ(parseSize("1Ki"), 1024u);
  EXPECT_EQ(parseSize("3Mi"), 3u << 20);
  EXPECT_EQ(parseSize("1Gi"), 1u << 30);
  EXPECT_EQ(parseSize("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parseSize("17179869183G"), 17179869183ull << 30);
}

TEST(ParseSize, RefusesEverythingElse) {
  for (const char* bad : {"", "-1", "+1", "1.5", "1e6", "1E6", "0x10", "M", "1m", "1k", "1KB",
                          "1Mib", "1 M", " 1", "1 ", "18446744073709551616", "17179869184G",
                          "abc", "1T"}) {
    EXPECT_THROW(parseSize(bad, "params"), UsageError) << "'" << bad << "'";
  }
}

TEST(ParseSize, MessageNamesTheValueAndWhatIsAllowed) {
  try {
    parseSize("1.5M", "params");
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("params: '1.5M'"), std::string::npos) << what;
    EXPECT_NE(what.find("allowed"), std::string::npos) << what;
  }
}

TEST(ParseSize, TryParseSizeAgreesWithoutThrowing) {
  EXPECT_EQ(tryParseSize("64K"), std::optional<std::uint64_t>(65536));
  std::string why;
  EXPECT_EQ(tryParseSize("2.5", &why), std::nullopt);
  EXPECT_EQ(why, "'2.5' has an unknown suffix (allowed: a whole number, optionally followed by K, "
                 "M or G, powers of 1024; e.g. 1000000, 64K, 1M)");
  EXPECT_EQ(tryParseSize("-1"), std::nullopt);  // no reason asked for: still refused
}

}  // namespace
}  // namespace commsim
