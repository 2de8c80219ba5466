// The options `predict` and `simulate` share: a topology file, lists of worker counts and
// gradient sizes, the paradigms with their parameter-server variant, the model's reduction cost,
// and where the output goes.
#pragma once

#include <CLI/CLI.hpp>

#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commsim/algorithms.hpp"
#include "commsim/cost_model.hpp"
#include "commsim/topology.hpp"

namespace commsim::cli {

struct ModelArgs {
  std::string topology;
  std::vector<std::string> workers;
  std::vector<std::string> params;
  std::vector<std::string> paradigms;
  std::string dtype = "float32";
  AlgorithmOptions algorithm;
  double gamma = std::numeric_limits<double>::quiet_NaN();  // s/byte; NaN: not given (modelGamma)
  bool gammaFromTopology = false;  // set by resolveGamma: the topology's curve applies
  std::string format = "text";
  std::string jsonFile;
  std::string csvFile;
};

struct ModelOptionHelp {
  std::string_view topologyExample;  // e.g. "topologies/dgx-h100.yaml"
  std::string_view workersExample;   // e.g. "2,4,8"
  std::string_view dtypes;           // the element types the command takes
  std::string_view gamma;            // what the reduction cost does in this command
  bool paramsRequired = true;        // predict: not with --workload, which gives p
};

void addModelOptions(CLI::App* app, ModelArgs& a, const ModelOptionHelp& help);

// The reduction cost a command uses: --gamma when given, else the topology's `gamma`, else 0.
double modelGamma(const ModelArgs& a, const Topology& topology);
// Sets a.gamma to modelGamma's figure, remembering whether it (and its pieces) came from the file.
void resolveGamma(ModelArgs& a, const Topology& topology);
// The model's options as the topology file gives them: gamma (0 when absent) and the copy cost,
// each with its pieces.
PredictOptions topologyOptions(const Topology& topology);
// The model's options: that gamma (with the topology's pieces unless --gamma was given), and the
// topology's copy cost.
PredictOptions modelOptions(const ModelArgs& a, const Topology& topology);

// The algorithms --paradigm names (the table's three when none), made with the algorithm options,
// all checked; throws UsageError.
std::vector<std::unique_ptr<Paradigm>> modelAlgorithms(const ModelArgs& a);

}  // namespace commsim::cli
