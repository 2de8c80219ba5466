// Bad input everywhere (SPEC §7, §9): every case exits 2 with one line on stderr naming the value
// and what is allowed, prints nothing on stdout, and leaves no output file (whole, partial,
// temporary or probe) behind for the --json FILE it was given.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "commsim/algorithms.hpp"
#include "process.hpp"

namespace commsim::test {
namespace {

namespace fs = std::filesystem;

struct BadInput {
  std::string name;
  // After `commsim`; "{dir}" is the case's own empty directory, "{src}" the source tree (each as
  // an argument's start).
  std::vector<std::string> args;
  std::string message;            // a part of the one line on stderr
  bool addJson = true;            // append --json {dir}/out.json (for commands that take it)
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsTwoWithOneClearLineAndNoOutput) {
  const auto& c = GetParam();
  const fs::path dir = fs::path(::testing::TempDir()) / ("bad_input_" + c.name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> args;
  for (auto a : c.args) {
    if (a.rfind("{dir}", 0) == 0) a = dir.string() + a.substr(5);
    if (a.rfind("{src}", 0) == 0) a = COMMSIM_SOURCE_DIR + a.substr(5);
    args.push_back(a);
  }
  if (c.addJson) {
    args.push_back("--json");
    args.push_back((dir / "out.json").string());
  }
  const auto r = runProcess(commsim(args), 60);
  EXPECT_FALSE(r.timedOut);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("commsim: ", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename());
  EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
  fs::remove_all(dir);
}

// The cases of a command that runs ranks, named and prefixed with it, on 3 in-process ranks unless
// the case is about --local itself: no launcher needed, and fast.
std::vector<BadInput> inProcess(const std::string& command, std::vector<BadInput> cases) {
  for (auto& c : cases) {
    c.name = command + "_" + c.name;
    c.args.insert(c.args.begin(), command);
    if (std::find(c.args.begin(), c.args.end(), "--local") == c.args.end()) {
      c.args.push_back("--local");
      c.args.push_back("3");
    }
  }
  return cases;
}

std::vector<BadInput> tableCases() {
  const std::vector<BadInput> cases = {
      // sizes (SPEC §9)
      {"params_negative", {"-p", "-5"}, "params: '-5'"},
      {"params_word", {"-p", "abc"}, "params: 'abc' is not a whole number"},
      {"params_decimal", {"-p", "1.5M"}, "params: '1.5M'"},
      {"params_exponent", {"-p", "1e6"}, "params: '1e6'"},
      {"params_hex", {"-p", "0x10"}, "params: '0x10' has an unknown suffix"},
      {"params_plus", {"-p", "+1"}, "params: '+1' is not a whole number"},
      {"params_empty", {"-p", ""}, "params: '' is empty"},
      {"params_lower_suffix", {"-p", "1k"}, "params: '1k' has an unknown suffix"},
      {"params_tera", {"-p", "1T"}, "params: '1T' has an unknown suffix"},
      {"params_overflow", {"-p", "99999999999999999999"}, "is too large"},
      {"params_suffix_overflow", {"-p", "17179869184G"}, "params: '17179869184G' is too large"},
      {"params_newline", {"-p", "1\n2"}, "params: '1\\x0a2' has an unknown suffix"},
      {"params_escape", {"-p", "\x1b[31m"}, "params: '\\x1b[31m'"},
      {"params_missing_value", {"--local", "3", "-p"}, "--params: 1 required", false},
      // sizes that parse but cannot fit (SPEC §8): refused up front with the figure needed
      {"params_memory", {"-p", "4G"}, "3*p*s = 51539607552 bytes per rank"},
      {"params_unaddressable", {"-p", "16000000000G"}, "too many to address"},
      // 8 ranks of 2^61 + 32 bytes: their total does not fit in 64 bits either
      {"params_host_total_overflows", {"--local", "8", "-p", "192153584101141163"},
       "2305843009213693956 bytes per rank, at least 4611686018427387904 bytes for the 8 rank(s)"},
      // lists and names
      {"dtype_unknown", {"-d", "int8"}, "dtype: 'int8' is not a known type"},
      {"dtype_not_on_host", {"-d", "bfloat16"}, "not supported in host memory"},
      {"format_unknown", {"--format", "xml"}, "format: 'xml'"},
      {"paradigm_unknown", {"--paradigm", "butterfly"}, "paradigm: 'butterfly'"},
      {"paradigm_in_list", {"--paradigm", "ring-allreduce,butterfly"}, "paradigm: 'butterfly'"},
      {"paradigm_empty", {"--paradigm", ""}, "paradigm: ''"},
      {"paradigm_unknown_names_registry", {"--paradigm", "tree"},
       "paradigm: 'tree' is not known (allowed: " + joinNames(algorithmNames()) + ", all)"},
      // the algorithms' own options
      {"segments_zero", {"--paradigm", "binary-tree", "--segments", "0"},
       "segments: 0 is not allowed (at least 1)"},
      {"segments_word", {"--paradigm", "binary-tree", "--segments", "x"}, "segments: 'x'"},
      {"ranks_per_host_negative", {"--paradigm", "hierarchical-ring", "--ranks-per-host", "-2"},
       "ranks-per-host: '-2'"},
      {"ranks_per_host_not_dividing", {"--local", "4", "--paradigm", "hierarchical-ring",
                                       "--ranks-per-host", "3"},
       "ranks-per-host: 3 does not divide the 4 workers"},
      // ranks and layout
      {"local_one", {"--local", "1"}, "local: 1 is not allowed (2 to 1024 ranks)"},
      {"local_negative", {"--local", "-3"}, "--local: '-3' is not a whole number (allowed: a whole number"},
      {"local_huge", {"--local", "5000"}, "local: 5000 is not allowed"},
      {"local_word", {"--local", "x"}, "--local: 'x' is not a whole number (allowed: a whole number"},
      {"local_fraction", {"--local", "2.5"}, "--local: '2.5' has an unknown suffix"},
      {"local_overflow", {"--local", "4G"}, "--local: '4G' is too large (allowed: at most 2147483647)"},
      {"servers_zero", {"--servers", "0"}, "servers: 0 is not allowed"},
      {"servers_word", {"--servers", "two"}, "--servers: 'two' is not a whole number (allowed: a whole number"},
      {"servers_negative", {"--servers", "-1"}, "--servers: '-1' is not a whole number"},
      {"servers_huge", {"--servers", "99999999999"}, "--servers: '99999999999' is too large"},
      {"servers_no_worker", {"--local", "2", "--servers", "2"}, "leave no worker"},
      {"servers_colocated", {"--servers", "2", "--colocated"}, "cannot be combined with --colocated"},
      {"backend_unknown", {"--backend", "gloo"}, "backend: 'gloo'"},
      {"memory_unknown", {"--memory", "disk"}, "memory: 'disk'"},
      // the watchdog's timeout
      {"timeout_negative", {"--timeout", "-1"}, "timeout: '-1' is not a number of seconds"},
      {"timeout_word", {"--timeout", "soon"}, "timeout: 'soon'"},
      {"timeout_exponent", {"--timeout", "1e3"}, "timeout: '1e3'"},
      {"timeout_trailing_dot", {"--timeout", "2."}, "timeout: '2.'"},
      {"timeout_huge", {"--timeout", "99999999"}, "timeout: '99999999' is too large"},
      // output paths that cannot be written: refused before any work
      {"json_no_dir", {"--json", "/nonexistent-dir/x.json"}, "--json: cannot write", false},
      {"json_is_dir", {"--json", "{dir}"}, "it is a directory", false},
      {"csv_no_dir", {"--csv", "/nonexistent-dir/x.csv"}, "--csv: cannot write"},
      {"trace_no_dir", {"--trace", "{dir}/missing/t.json"}, "--trace: cannot write"},
      {"trace_is_dir", {"--trace", "{dir}"}, "--trace: cannot write", false},
      {"trace_limit_zero", {"--trace", "{dir}/t.json", "--trace-limit", "0"},
       "trace-limit: '0' is not allowed (allowed: events per rank, 1 to"},
      {"trace_limit_word", {"--trace", "{dir}/t.json", "--trace-limit", "many"},
       "trace-limit: 'many' is not allowed"},
      {"trace_limit_huge", {"--trace", "{dir}/t.json", "--trace-limit", "1G"},
       "trace-limit: '1G' is not allowed"},
      // the command line itself
      {"unknown_option", {"--bogus"}, "bogus"},
      {"extra_argument", {"surplus"}, "surplus"},
  };
  auto out = inProcess("table", cases);
  // Without a launcher and without --local: one MPI rank, too few for a table.
  out.push_back({"table_one_mpi_rank", {"table", "-p", "10"}, "needs at least 2 ranks"});
  return out;
}

std::vector<BadInput> benchCases() {
  // A sweep small enough to finish at once if a case were wrongly accepted.
  const std::vector<BadInput> cases = {
      // sizes (SPEC §9)
      {"minbytes_decimal", {"-b", "1.5M"}, "minbytes: '1.5M' has an unknown suffix (allowed: a whole number"},
      {"minbytes_zero", {"-b", "0"}, "minbytes: 0 is not allowed (the smallest size is at least 1 byte)"},
      {"minbytes_word", {"-b", "small"}, "minbytes: 'small' is not a whole number"},
      {"minbytes_bad_suffix", {"-b", "8X"}, "minbytes: '8X' has an unknown suffix"},
      {"maxbytes_negative", {"-e", "-8"}, "maxbytes: '-8'"},
      {"maxbytes_tera", {"-e", "1T"}, "maxbytes: '1T' has an unknown suffix"},
      {"maxbytes_empty", {"-e", ""}, "maxbytes: '' is empty"},
      {"maxbytes_overflow", {"-e", "17179869184G"}, "maxbytes: '17179869184G' is too large"},
      {"min_above_max", {"-b", "1K", "-e", "8"}, "minbytes: 1024 is larger than maxbytes 8 (-b must be at most -e)"},
      {"maxbytes_memory", {"-e", "64G"}, "maxbytes: 17179869184 elements need 3*p*s = 206158430208 bytes per rank"},
      {"stepfactor_zero", {"-f", "0", "-e", "64"}, "stepfactor: 0 is not allowed (2 or more"},
      {"stepfactor_one", {"-f", "1", "-e", "64"}, "stepfactor: 1 is not allowed (2 or more"},
      {"stepfactor_fraction", {"-f", "1.5", "-e", "64"}, "stepfactor: '1.5'"},
      {"stepfactor_overflow", {"-f", "99999999999999999999"}, "stepfactor: '99999999999999999999' is too large"},
      // step counts
      {"iters_zero", {"-n", "0"}, "iters: '0' is not allowed (allowed: a whole number of timed steps, 1 to"},
      {"iters_fraction", {"-n", "1.5"}, "iters: '1.5' is not allowed"},
      {"iters_huge", {"-n", "99999999999"}, "iters: '99999999999' is not allowed"},
      {"warmup_negative", {"-w", "-1"}, "warmup-iters: '-1' is not allowed (allowed: a whole number of untimed steps, 0 to"},
      {"warmup_word", {"-w", "x"}, "warmup-iters: 'x' is not allowed"},
      {"checks_negative", {"-c", "-1"}, "check-iters: '-1' is not allowed (allowed: a whole number of checked steps, 0 to"},
      {"checks_word", {"-c", "all"}, "check-iters: 'all' is not allowed"},
      {"min_time_negative", {"--min-time", "-1"}, "min-time: '-1' is not a number of seconds (allowed: 0 = exactly -n timed steps, or seconds up to 60"},
      {"min_time_huge", {"--min-time", "61"}, "min-time: '61' is too large"},
      // names
      {"paradigm_unknown", {"--paradigm", "butterfly"}, "paradigm: 'butterfly' is not known"},
      {"baseline_misspelt", {"--paradigm", "ring-allreduce,mpi-allredcue"},
       "paradigm: 'mpi-allredcue' is not known (allowed: " + joinNames(algorithmNames()) +
           ", mpi-allreduce, nccl-allreduce, all)"},
      {"dtype_unknown", {"-d", "int8"}, "dtype: 'int8' is not a known type"},
      {"dtype_not_on_host", {"-d", "bfloat16"}, "not supported in host memory"},
      {"format_unknown", {"--format", "xml"}, "format: 'xml'"},
      // a baseline alone where it cannot run: nothing else was asked for
      {"mpi_baseline_alone_local", {"--paradigm", "mpi-allreduce", "-e", "64"},
       "paradigm: nothing this run can do: mpi-allreduce needs the MPI transport"},
      // The reason differs by build: "needs --backend nccl" with CUDA, "needs a CUDA build" without.
      {"nccl_baseline_alone_local", {"--paradigm", "nccl-allreduce", "-e", "64"},
       "paradigm: nothing this run can do: nccl-allreduce needs "},
      // ranks, watchdog, output
      {"local_one", {"--local", "1"}, "local: 1 is not allowed (2 to 1024 ranks)"},
      {"timeout_word", {"--timeout", "soon"}, "timeout: 'soon' is not a number of seconds"},
      {"timeout_negative", {"--timeout", "-3"}, "timeout: '-3'"},
      {"json_is_dir", {"--json", "{dir}"}, "--json: cannot write", false},
      {"json_no_dir", {"--json", "/nonexistent-dir/x.json"}, "--json: cannot write", false},
      {"csv_no_dir", {"--csv", "/nonexistent-dir/x.csv"}, "--csv: cannot write"},
      {"unknown_option", {"--bogus"}, "bogus"},
      {"trace_no_dir", {"--trace", "{dir}/missing/t.json"}, "--trace: cannot write"},
  };
  auto out = inProcess("bench", cases);
  out.push_back({"bench_one_mpi_rank", {"bench", "-e", "64"}, "needs at least 2 ranks"});
  return out;
}

std::vector<BadInput> predictCases() {
  const std::string testnet = "{src}/topologies/testnet.yaml";
  std::vector<BadInput> cases = {
      {"no_topology", {"-n", "4", "-p", "1M"}, "--topology is required"},
      {"topology_missing", {"--topology", "/nonexistent.yaml", "-n", "4", "-p", "1M"},
       "/nonexistent.yaml: cannot read the topology file"},
      {"topology_not_a_mapping", {"--topology", "{src}/CMakeLists.txt", "-n", "4", "-p", "1M"},
       "(top level): must be a mapping of keys"},
      {"topology_bandwidth_overflow",
       {"--topology", "{src}/fuzz/corpus/topology/regression-bandwidth-overflow.yaml", "-n", "2",
        "-p", "1M", "--colocated"},
       "nic.bandwidth: '1e308 Gbps' is too large"},
      {"topology_is_dir", {"--topology", "{src}/topologies", "-n", "4", "-p", "1M"},
       "topologies: is a directory, not a topology file"},
      {"no_workers", {"--topology", testnet, "-p", "1M"}, "--workers is required"},
      {"workers_zero", {"--topology", testnet, "-n", "0", "-p", "1M"}, "--workers: '0' is out of range"},
      {"workers_word_in_list", {"--topology", testnet, "-n", "2,x", "-p", "1M"}, "--workers: 'x'"},
      {"workers_do_not_fit", {"--topology", testnet, "-n", "9", "-p", "1M"}, "9 workers do not fit"},
      {"params_decimal", {"--topology", testnet, "-n", "2", "-p", "1.5M"}, "--params: '1.5M'"},
      {"params_newline", {"--topology", testnet, "-n", "2", "-p", "1\n"}, "--params: '1\\x0a'"},
      {"paradigm_unknown", {"--topology", testnet, "-n", "2", "-p", "1M", "--paradigm", "butterfly"},
       "'butterfly'"},
      {"dtype_unknown", {"--topology", testnet, "-n", "2", "-p", "1M", "-d", "int8"}, "dtype: 'int8'"},
      {"gamma_negative", {"--topology", testnet, "-n", "2", "-p", "1M", "--gamma", "-1"},
       "gamma: -1 is not allowed"},
      {"gamma_word", {"--topology", testnet, "-n", "2", "-p", "1M", "--gamma", "abc"},
       "--gamma: 'abc' is not a finite number (allowed: seconds per byte, at least 0"},
      {"gamma_infinite", {"--topology", testnet, "-n", "2", "-p", "1M", "--gamma", "inf"},
       "--gamma: 'inf' is not a finite number"},
      {"gamma_overflow", {"--topology", testnet, "-n", "2", "-p", "1M", "--gamma", "1e400"},
       "--gamma: '1e400' is not a finite number"},
      {"gamma_nan", {"--topology", testnet, "-n", "2", "-p", "1M", "--gamma", "nan"},
       "--gamma: 'nan' is not a finite number"},
      {"servers_word", {"--topology", testnet, "-n", "2", "-p", "1M", "--servers", "2x"},
       "--servers: '2x' has an unknown suffix"},
      {"format_unknown", {"--topology", testnet, "-n", "2", "-p", "1M", "--format", "xml"}, "format: 'xml'"},
      {"json_is_dir", {"--topology", testnet, "-n", "2", "-p", "1M", "--json", "{dir}"},
       "it is a directory", false},
  };
  for (auto& c : cases) {
    c.name = "predict_" + c.name;
    c.args.insert(c.args.begin(), "predict");
  }
  return cases;
}

std::vector<BadInput> simulateCases() {
  const std::string testnet = "{src}/topologies/testnet.yaml";
  std::vector<BadInput> cases = {
      {"simulate_no_topology", {"simulate", "-n", "4", "-p", "1M"}, "--topology is required"},
      {"simulate_workers_one", {"simulate", "--topology", testnet, "-n", "1", "-p", "1M"},
       "--workers: '1' is out of range (allowed: 2 to"},
      {"simulate_params_suffix", {"simulate", "--topology", testnet, "-n", "2", "-p", "1T"},
       "--params: '1T' has an unknown suffix"},
      {"simulate_dtype_half", {"simulate", "--topology", testnet, "-n", "2", "-p", "1M", "-d", "float16"},
       "not supported by the simulator"},
      {"simulate_network", {"simulate", "--topology", testnet, "-n", "2", "-p", "1M", "--network", "wifi"},
       "network: 'wifi' is not known"},
      {"simulate_timeout_word", {"simulate", "--topology", testnet, "-n", "2", "-p", "1M", "--timeout", "soon"},
       "timeout: 'soon' is not a number of seconds (allowed: 0 = off"},
      {"simulate_timeout_negative", {"simulate", "--topology", testnet, "-n", "2", "-p", "1M", "--timeout", "-1"},
       "timeout: '-1'"},
      {"simulate_trace_no_dir", {"simulate", "--topology", testnet, "-n", "2", "-p", "1M", "--trace",
                                 "{dir}/missing/t.json"},
       "--trace: cannot write"},
      {"platform_no_topology", {"platform"}, "--topology is required", false},
      {"platform_hostfile_ranks", {"platform", "--topology", testnet, "--hostfile-ranks", "99"},
       "--hostfile-ranks: 99 is out of range", false},
      {"platform_output_no_dir", {"platform", "--topology", testnet, "-o", "/nonexistent-dir/p.xml"},
       "--output: cannot write", false},
  };
  return cases;
}

std::vector<BadInput> calibrateCases() {
  std::vector<BadInput> cases = inProcess(
      "calibrate",
      {
          {"maxbytes_small", {"-e", "1K"}, "maxbytes: 1024 is not allowed (at least 65536 bytes"},
          {"maxbytes_decimal", {"-e", "1.5M"}, "maxbytes: '1.5M' has an unknown suffix"},
          {"maxbytes_memory", {"-e", "16G"}, "maxbytes: 4294967296 elements need 3*p*s"},
          {"iters_zero", {"-n", "0"},
           "iters: '0' is not allowed (allowed: a whole number of timed exchanges per size, 1 to"},
          {"iters_word", {"-n", "many"}, "iters: 'many' is not allowed"},
          {"name_colon", {"--name", "a: b"}, "name: 'a: b' is not allowed"},
          {"name_empty", {"--name", ""}, "name: '' is not allowed"},
          {"output_no_dir", {"-o", "/nonexistent-dir/t.yaml"}, "--output: cannot write"},
          {"output_is_dir", {"-o", "{dir}"}, "it is a directory"},
          {"local_one", {"--local", "1"}, "local: 1 is not allowed (2 to 1024 ranks)"},
          {"one_rank", {"--local", "0"}, "calibrate needs at least 2 ranks"},
          {"bogus", {"--bogus"}, "(commsim calibrate --help lists the options)"},
      });
  cases.push_back({"calibrate_json_is_dir", {"calibrate", "--local", "2", "--json", "{dir}"},
                   "--json: cannot write", false});
  for (auto& c : cases) {
    if (std::find(c.args.begin(), c.args.end(), "-o") == c.args.end())
      c.args.insert(c.args.end(), {"-o", "{dir}/t.yaml"});
  }
  return cases;
}

// Training steps (SPEC §11). Bad workload files themselves: tests/train_cli_test.cpp.
std::vector<BadInput> trainCases() {
  const std::string resnet = "{src}/workloads/resnet50.yaml";
  std::vector<BadInput> cases = inProcess(
      "train",
      {
          {"bucket_negative", {"--workload", resnet, "--algorithm", "ring-allreduce", "--bucket", "-1"},
           "bucket: '-1' is not a whole number"},
          {"bucket_unit", {"--workload", resnet, "--algorithm", "ring-allreduce", "--bucket", "25MB"},
           "bucket: '25MB' has an unknown suffix"},
          {"iterations_zero", {"--workload", resnet, "--algorithm", "ring-allreduce", "--iterations", "0"},
           "iterations: '0' is not allowed"},
          {"compute_scale_negative",
           {"--workload", resnet, "--algorithm", "ring-allreduce", "--compute-scale", "-1"},
           "compute-scale: -1"},
          {"compute_rate_word",
           {"--workload", resnet, "--algorithm", "ring-allreduce", "--compute-rate", "fast"},
           "'fast' is not a finite number"},
          {"algorithm_unknown", {"--workload", resnet, "--algorithm", "ring"},
           "paradigm: 'ring' is not known"},
          {"algorithm_all", {"--workload", resnet, "--algorithm", "all"}, "algorithm: 'all' names 8"},
          {"workload_missing", {"--workload", "/nonexistent.yaml", "--algorithm", "direct"},
           "/nonexistent.yaml: cannot read the workload file"},
          {"workload_is_dir", {"--workload", "{src}/workloads", "--algorithm", "direct"},
           "workloads: is a directory, not a workload file"},
          {"one_rank", {"--workload", resnet, "--algorithm", "direct", "--local", "0"},
           "train needs at least 2 ranks"},
      });
  cases.push_back({"predict_workload_with_params",
                   {"predict", "--workload", resnet, "--topology", "{src}/topologies/dgx-h100.yaml",
                    "-n", "8", "-p", "1M", "--algorithm", "ring-allreduce"},
                   "params: not allowed with --workload"});
  cases.push_back({"predict_workload_no_device",
                   {"predict", "--workload", resnet, "--topology", "{src}/topologies/testnet.yaml",
                    "-n", "4", "--algorithm", "ring-allreduce"},
                   "testnet.yaml: device: missing"});
  cases.push_back({"predict_sweep_without_workload",
                   {"predict", "--topology", "{src}/topologies/testnet.yaml", "-n", "4",
                    "--bucket-sweep"},
                   "bucket-sweep: needs --workload FILE"});
  cases.push_back({"predict_workload_two_algorithms",
                   {"predict", "--workload", resnet, "--topology", "{src}/topologies/dgx-h100.yaml",
                    "-n", "8", "--algorithm", "ring-allreduce,direct"},
                   "algorithm: 2 given; with --workload name exactly one"});
  return cases;
}

std::vector<BadInput> commandLineCases() {
  return {
      {"no_subcommand", {}, "subcommand", false},
      {"unknown_subcommand", {"frobnicate"}, "'frobnicate' is not a command (allowed: table", false},
  };
}

std::string caseName(const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(tableCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Bench, BadInputTest, ::testing::ValuesIn(benchCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Predict, BadInputTest, ::testing::ValuesIn(predictCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Simulate, BadInputTest, ::testing::ValuesIn(simulateCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Calibrate, BadInputTest, ::testing::ValuesIn(calibrateCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Train, BadInputTest, ::testing::ValuesIn(trainCases()), caseName);
INSTANTIATE_TEST_SUITE_P(CommandLine, BadInputTest, ::testing::ValuesIn(commandLineCases()), caseName);

}  // namespace
}  // namespace commsim::test
