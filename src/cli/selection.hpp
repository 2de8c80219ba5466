// What the commands that run paradigms (table, bench) share: the options choosing the element
// type, the paradigms (and, for bench, the baselines), the parameter-server variant and the
// backend; their validation before anything starts; and the document headers.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/harness.hpp"
#include "launch.hpp"
#include "output.hpp"

namespace commsim::cli {

struct SelectionOptions {
  std::string dtype = "float32";
  std::vector<std::string> paradigms = algorithmNames(/*tableRowsOnly=*/true);
  AlgorithmOptions algorithm;
  LaunchOptions launch;
};

// Adds -d/--dtype, --paradigm, the algorithms' own options (--servers, --colocated, --segments,
// --ranks-per-host) and the launch options (--backend, --memory, --local, --timeout).
void addSelectionOptions(CLI::App* app, SelectionOptions& options, bool allowBaselines);
// Adds the algorithms' own options alone (predict and simulate take them too).
void addAlgorithmOptions(CLI::App* app, AlgorithmOptions& options);
// Checks them; throws UsageError.
void validateAlgorithmOptions(const AlgorithmOptions& options);
// The --paradigm help: the registry's names, and "all".
std::string algorithmHelp(bool withBaselines);

// One paradigm or baseline the user chose, as resolved before anything starts, in the order named.
struct Chosen {
  std::string name;
  std::unique_ptr<Paradigm> paradigm;  // null for a baseline: it is made on the ranks
  bool baseline = false;
};

// What one rank runs for a Chosen: its paradigm, or the baseline made over this rank's transport.
struct RankCase {
  const Paradigm* paradigm = nullptr;  // null: a baseline this transport cannot run
  std::unique_ptr<Paradigm> owned;     // a baseline
  std::string name;
  std::string unavailable;  // then: why
};

struct Selection {
  DType dtype = DType::Float32;
  AlgorithmOptions algorithm;
  std::vector<Chosen> chosen;
  std::uint64_t mask = 0;  // which names were chosen, for the ranks' agreement

  // Values every rank must agree on, with their names, for ensureRanksAgree.
  std::vector<std::pair<const char*, std::uint64_t>> agreed() const;
  // The layout of a run on the transport's ranks: dedicated servers last, workers per host as
  // placed; every algorithm of the selection checks it (collective, before data moves).
  Layout layoutFor(Transport& transport) const;
  // The cases of this rank, baselines made over `transport` (collective). A baseline may hold
  // library resources, so the cases must end before the transport does.
  std::vector<RankCase> cases(Transport& transport, const MemorySpace& memory,
                              const Layout& layout) const;
};

// Checks the options (dtype, names, servers) before anything starts; throws UsageError.
Selection resolveSelection(const SelectionOptions& options, bool allowBaselines);

// Refuses a world of fewer than two ranks, naming the command.
void requireTwoRanks(const Transport& transport, std::string_view command);
// Checks that every rank has the same values (before any data moves); throws UsageError.
void ensureRanksAgree(Transport& transport,
                      const std::vector<std::pair<const char*, std::uint64_t>>& values);

// The top-level fields of every command that runs ranks: command, transport, memory, data_path
// (and transport_detail), world_size.
struct RunHeader {
  std::string command;
  std::string transport;
  std::string memory;
  std::string dataPath;
  std::string transportDetail;  // left out when empty
  int worldSize = 0;
};
RunHeader runHeader(std::string_view command, const Transport& transport, const MemorySpace& memory);
Json toJson(const RunHeader& header);

// Those, then workers, servers, dtype, element_bytes and lr: how table, bench and validate
// documents start.
struct DocumentHeader {
  RunHeader run;
  int workers = 0;
  int servers = 0;
  DType dtype = DType::Float32;
  double lr = kDefaultLearningRate;
};
DocumentHeader documentHeader(std::string_view command, const Transport& transport,
                              const MemorySpace& memory, const Layout& layout, DType dtype);
Json toJson(const DocumentHeader& header);

// The size sweep and step counts of the commands that time steps (bench, validate): nccl-tests'
// -b, -e, -f, -w and -n, and Google Benchmark's least time per measurement (--min-time).
struct SweepOptions {
  std::string minBytes;
  std::string maxBytes;
  std::string stepFactor;
  std::string warmup;
  std::string iterations;
  std::string minTime = "0";

  void add(CLI::App* app);
};

struct Sweep {
  std::uint64_t minBytes = 0, maxBytes = 0, factor = 0;
  std::vector<std::uint64_t> counts;  // elements per step: size / s, each once
  int warmup = 0;
  int iterations = 0;
  double minTimeS = 0;  // timed steps of each size and algorithm last at least this long in all

  // Values every rank must agree on, for ensureRanksAgree.
  std::vector<std::pair<const char*, std::uint64_t>> agreed() const;
  // "" without a least time, else how it adds steps, for a header after "N timed steps".
  std::string minTimeText() const;
  // min_bytes, max_bytes, step_factor, warmup_iterations, iterations and min_time_s into a document.
  void describe(Json& doc) const;
};

// Checks and parses the options (UsageError naming the value); `s` the element size.
Sweep parseSweep(const SweepOptions& options, std::size_t s);

// This process's host name, control characters escaped ("" if it has none).
std::string hostName();

// "transport mpi, 5 ranks: n = 4 workers + 1 dedicated parameter-server rank (rank 4)".
std::string describeRanks(std::string_view transport, int worldSize, const Layout& layout);

}  // namespace commsim::cli
