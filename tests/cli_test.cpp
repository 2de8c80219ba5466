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

struct BadInput {
  std::vector<std::string> args;
  std::string message;  // a part of the one line on stderr
};

void PrintTo(const BadInput& c, std::ostream* os) {
  for (const auto& a : c.args) *os << a << ' ';
}

class TableBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(TableBadInput, ExitsTwoWithOneClearLine) {
  const auto& c = GetParam();
  std::vector<std::string> args = {"table"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = runProcess(commsim(args), 60);
  EXPECT_FALSE(r.timedOut);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TableBadInput,
    ::testing::Values(
        BadInput{{"--local", "3", "-p", "-5"}, "params: '-5'"},
        BadInput{{"--local", "3", "-p", "abc"}, "params: 'abc' is not a whole number"},
        BadInput{{"--local", "3", "-p", "1.5M"}, "params: '1.5M'"},
        BadInput{{"--local", "3", "-p", "1e6"}, "params: '1e6'"},
        BadInput{{"--local", "3", "-p", "99999999999999999999"}, "too large"},
        BadInput{{"--local", "3", "-p", "4G"}, "available"},
        BadInput{{"--local", "3", "-p", "16000000000G"}, "too many to address"},
        BadInput{{"--local", "3", "-d", "int8"}, "dtype: 'int8' is not a known type"},
        BadInput{{"--local", "3", "-d", "bfloat16"}, "not supported in host memory"},
        BadInput{{"--local", "3", "--format", "xml"}, "format: 'xml'"},
        BadInput{{"--local", "3", "--paradigm", "butterfly"}, "paradigm: 'butterfly'"},
        BadInput{{"--local", "1"}, "local: 1 is not allowed"},
        BadInput{{"--local", "3", "--backend", "gloo"}, "backend: 'gloo'"},
        BadInput{{"--local", "3", "--memory", "disk"}, "memory: 'disk'"},
        BadInput{{"--local", "2", "--servers", "2"}, "leave no worker"},
        BadInput{{"--local", "3", "--servers", "0"}, "servers: 0"},
        BadInput{{"--local", "3", "--json", "/nonexistent-dir/x.json"}, "--json: cannot write"},
        BadInput{{"--local", "x"}, "local"},
        BadInput{{"--bogus"}, "bogus"}));

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
