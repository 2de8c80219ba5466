// The commsim command as a user runs it: its exit statuses, messages and JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "process.hpp"
#include "table_checks.hpp"

namespace commsim::test {
namespace {

TEST(TableCli, LocalRanksJsonMatchesFormulas) {
  const auto r = runProcess(commsim({"table", "--local", "5", "--params", "1000003", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("world_size").get<int>(), 5);
  EXPECT_EQ(doc.at("dtype").get<std::string>(), "float32");
  expectTableMatchesFormulas(doc, 4, 1000003, 4);
}

TEST(TableCli, FewerElementsThanWorkersFloat64) {
  const auto r = runProcess(commsim({"table", "--local", "8", "-p", "3", "-d", "float64", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  expectTableMatchesFormulas(doc, 7, 3, 8);
  for (const auto& row : doc["rows"]) {
    if (row["paradigm"] == "ring-allreduce") {  // 4 of 7 chunks are empty, each sent 2(n-1) times
      EXPECT_EQ(row["empty_messages"].get<int>(), 2 * 6 * 4);
    }
  }
}

TEST(TableCli, TextTableShowsEveryRowWithACheckMark) {
  const auto r = runProcess(commsim({"table", "--local", "3", "-p", "1K"}));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* text : {"all-to-all", "parameter-server", "ring-allreduce", "n(n-1) = 2",
                           "2n = 4", "2n(n-1) = 4", "p = 1024 elements", "all checks held"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  EXPECT_EQ(r.out.find("\u2717"), std::string::npos) << r.out;
}

TEST(TableCli, ShardedAndColocatedVariants) {
  auto r = runProcess(commsim({"table", "--local", "6", "-p", "1001", "--servers", "2",
                               "--paradigm", "parameter-server", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["workers"], 4);
  EXPECT_EQ(doc["rows"][0]["messages"], 2 * 4 * 2);
  EXPECT_EQ(doc["rows"][0]["message_bytes_max"], 501 * 4);
  r = runProcess(commsim({"table", "--local", "4", "-p", "1001", "--colocated", "--paradigm",
                          "parameter-server", "--format", "json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["workers"], 4);
  EXPECT_EQ(doc["rows"][0]["messages"], 2 * 3);
  EXPECT_EQ(doc["rows"][0]["total_bytes"], 2 * 3 * 1001 * 4);
}

TEST(TableCli, CsvAndJsonFiles) {
  const std::string json = ::testing::TempDir() + "/table.json";
  const std::string csv = ::testing::TempDir() + "/table.csv";
  const auto r = runProcess(commsim({"table", "--local", "3", "-p", "100", "--json", json,
                                     "--csv", csv, "--format", "csv"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("paradigm,variant,workers,messages", 0), 0u) << r.out;
  std::ifstream jf(json), cf(csv);
  const auto doc = nlohmann::json::parse(jf);
  expectTableMatchesFormulas(doc, 2, 100, 4);
  std::string header;
  std::getline(cf, header);
  EXPECT_EQ(header.rfind("paradigm,", 0), 0u);
}

// Bad input, command by command: tests/bad_input_test.cpp.

TEST(Cli, NoSubcommandIsBadInput) {
  const auto r = runProcess(commsim({}));
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(Cli, HelpExitsZero) {
  const auto r = runProcess(commsim({"table", "--help"}));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--params"), std::string::npos);
}

}  // namespace
}  // namespace commsim::test
