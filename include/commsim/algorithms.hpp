// The registry: the one list of algorithms commsim runs, counts, predicts and simulates. Every
// place that names algorithms — the CLI's options, help and errors, the parameterised tests, and
// the scripts (through `commsim list --format json`) — asks this list.
//
// Adding an algorithm: write src/paradigms/<name>.cpp (its code against Transport, its closed
// forms, its alpha-beta cost, a make<Name>() factory) and add one line to kAlgorithms in
// src/paradigms/registry.cpp. docs/algorithms.md walks through it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/paradigm.hpp"

namespace commsim {

// The options that shape an algorithm; each algorithm reads the ones it takes.
struct AlgorithmOptions {
  int servers = 1;         // parameter-server: k sharded dedicated servers
  bool colocated = false;  // parameter-server: the server on worker 0
  int segments = 1;        // binary-tree: the gradient pipelined in K segments
  int ranksPerHost = 0;    // hierarchical-ring: G; 0 = the workers per host as placed
};

struct AlgorithmInfo {
  std::string_view name;
  // One of the three rows of the communication-cost table (SPEC §1), which `commsim table` prints
  // by default; the others join with `--paradigm all`.
  bool tableRow;
  std::string_view summary;  // one line, for `commsim list` and help
  std::string_view options;  // the options it takes, comma-separated ("" for none)
  std::unique_ptr<Paradigm> (*make)(const AlgorithmOptions&);
};

std::span<const AlgorithmInfo> algorithms();
// Names in registry order; tableRowsOnly: just the table's three.
std::vector<std::string> algorithmNames(bool tableRowsOnly = false);
// Throws UsageError naming the value and the allowed names (and "all" where allowed).
const AlgorithmInfo& findAlgorithm(std::string_view name);
std::unique_ptr<Paradigm> makeAlgorithm(std::string_view name, const AlgorithmOptions& options = {});
// "a, b, c": the names for help texts and error messages.
std::string joinNames(const std::vector<std::string>& names);
// A --paradigm list with "all" expanded to every algorithm, in registry order, duplicates removed.
std::vector<std::string> expandAlgorithmList(const std::vector<std::string>& names);

}  // namespace commsim
