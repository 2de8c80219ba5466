#include "model_options.hpp"

#include <algorithm>
#include <cmath>

#include "launch.hpp"
#include "selection.hpp"

namespace commsim::cli {

void addModelOptions(CLI::App* app, ModelArgs& a, const ModelOptionHelp& help) {
  app->add_option("--topology", a.topology,
                  "Topology file, e.g. " + std::string(help.topologyExample))
      ->required();
  app->add_option("-n,--workers", a.workers,
                  "Worker counts n, comma-separated, e.g. " + std::string(help.workersExample))
      ->required()
      ->delimiter(',');
  auto* params = app->add_option(
      "-p,--params", a.params,
      "Gradient elements p, comma-separated: integers or K/M/G (powers of 1024)");
  params->delimiter(',');
  if (help.paramsRequired) params->required();
  app->add_option("--paradigm,--algorithm", a.paradigms,
                  algorithmHelp(false) + " (default: the table's three)")
      ->delimiter(',');
  app->add_option("-d,--dtype", a.dtype, "Element type: " + std::string(help.dtypes))
      ->capture_default_str();
  addAlgorithmOptions(app, a.algorithm);
  app->add_option("--gamma", a.gamma,
                  std::string(help.gamma) + " (default: the topology's gamma, else 0)")
      ->check(realNumber("seconds per byte, at least 0, e.g. 1e-10"));
  app->add_option("--format", a.format, "Output on stdout: text, json or csv")
      ->capture_default_str();
  app->add_option("--json", a.jsonFile, "Also write the JSON document to this file");
  app->add_option("--csv", a.csvFile, "Also write the rows as CSV to this file");
}

double modelGamma(const ModelArgs& a, const Topology& topology) {
  if (!std::isnan(a.gamma)) return a.gamma;  // predict() refuses a negative one
  return topology.gammaSPerByte >= 0 ? topology.gammaSPerByte : 0;
}

void resolveGamma(ModelArgs& a, const Topology& topology) {
  a.gammaFromTopology = std::isnan(a.gamma);
  a.gamma = modelGamma(a, topology);
}

PredictOptions topologyOptions(const Topology& topology) {
  PredictOptions o;
  o.gammaSPerByte = std::max(0.0, topology.gammaSPerByte);
  o.gammaPieces = topology.gammaPieces;
  o.copySPerByte = topology.copySPerByte;
  o.copyPieces = topology.copyPieces;
  o.gammaSumSPerByte = topology.gammaSumSPerByte;
  o.gammaSumPieces = topology.gammaSumPieces;
  o.scaleSPerByte = topology.scaleSPerByte;
  o.scalePieces = topology.scalePieces;
  o.sgdSPerByte = topology.sgdSPerByte;
  o.sgdPieces = topology.sgdPieces;
  return o;
}

PredictOptions modelOptions(const ModelArgs& a, const Topology& topology) {
  PredictOptions o = topologyOptions(topology);
  if (!std::isnan(a.gamma) && !a.gammaFromTopology) {  // --gamma: one figure for every size
    o.gammaSPerByte = a.gamma;
    o.gammaPieces.clear();
    o.gammaSumSPerByte = -1;  // every reduction at that figure, the SGD step's too
    o.gammaSumPieces.clear();
    o.sgdSPerByte = -1;
    o.sgdPieces.clear();
  }
  return o;
}

std::vector<std::unique_ptr<Paradigm>> modelAlgorithms(const ModelArgs& a) {
  validateAlgorithmOptions(a.algorithm);
  std::vector<std::string> names = expandAlgorithmList(a.paradigms);
  if (names.empty()) names = algorithmNames(/*tableRowsOnly=*/true);
  std::vector<std::unique_ptr<Paradigm>> out;
  for (const auto& name : names) out.push_back(makeAlgorithm(name, a.algorithm));
  return out;
}

}  // namespace commsim::cli
