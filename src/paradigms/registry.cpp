#include "commsim/algorithms.hpp"

#include <algorithm>

#include "commsim/error.hpp"

namespace commsim {

// Each algorithm's file defines its factory.
std::unique_ptr<Paradigm> makeRecursiveDoubling(const AlgorithmOptions&);
std::unique_ptr<Paradigm> makeHalvingDoubling(const AlgorithmOptions&);
std::unique_ptr<Paradigm> makeBinaryTree(const AlgorithmOptions&);
std::unique_ptr<Paradigm> makeHierarchicalRing(const AlgorithmOptions&);
std::unique_ptr<Paradigm> makeDirect(const AlgorithmOptions&);

namespace {

std::unique_ptr<Paradigm> allToAll(const AlgorithmOptions&) { return makeAllToAll(); }
std::unique_ptr<Paradigm> parameterServer(const AlgorithmOptions& o) {
  return o.colocated ? makeParameterServerColocated() : makeParameterServer(o.servers);
}
std::unique_ptr<Paradigm> ring(const AlgorithmOptions&) { return makeRingAllreduce(); }

// The one list. Order is the order of output rows.
constexpr AlgorithmInfo kAlgorithms[] = {
    {"all-to-all", true, "every worker sends its whole gradient to every other", "", allToAll},
    {"parameter-server", true, "workers push to a server, which applies SGD and sends back",
     "servers,colocated", parameterServer},
    {"ring-allreduce", true, "reduce-scatter then all-gather around a ring", "", ring},
    {"recursive-doubling", false, "log2 rounds of pairwise whole-vector exchange", "",
     makeRecursiveDoubling},
    {"halving-doubling", false,
     "Rabenseifner: reduce-scatter by recursive halving, all-gather by doubling", "",
     makeHalvingDoubling},
    {"binary-tree", false, "reduce up a binary tree, broadcast down, in K segments", "segments",
     makeBinaryTree},
    {"hierarchical-ring", false, "ring inside each host, G rings across hosts, ring inside again",
     "ranks-per-host", makeHierarchicalRing},
    {"direct", false, "reduce-scatter and all-gather, each shard sent straight to its owner", "",
     makeDirect},
};

}  // namespace

std::span<const AlgorithmInfo> algorithms() { return kAlgorithms; }

std::vector<std::string> algorithmNames(bool tableRowsOnly) {
  std::vector<std::string> names;
  for (const AlgorithmInfo& a : kAlgorithms)
    if (a.tableRow || !tableRowsOnly) names.emplace_back(a.name);
  return names;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

const AlgorithmInfo& findAlgorithm(std::string_view name) {
  for (const AlgorithmInfo& a : kAlgorithms)
    if (a.name == name) return a;
  throw UsageError("paradigm: '" + std::string(name) + "' is not known (allowed: " +
                   joinNames(algorithmNames()) + ")");
}

std::unique_ptr<Paradigm> makeAlgorithm(std::string_view name, const AlgorithmOptions& options) {
  return findAlgorithm(name).make(options);
}

std::vector<std::string> expandAlgorithmList(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (const auto& n : names) {
    if (n == "all") {
      for (const auto& a : algorithmNames()) add(a);
    } else {
      add(n);
    }
  }
  return out;
}

}  // namespace commsim
