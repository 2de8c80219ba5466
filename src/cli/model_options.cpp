#include "model_options.hpp"

#include "launch.hpp"

namespace commsim::cli {

void addModelOptions(CLI::App* app, ModelArgs& a, const ModelOptionHelp& help) {
  app->add_option("--topology", a.topology,
                  "Topology file, e.g. " + std::string(help.topologyExample))
      ->required();
  app->add_option("-n,--workers", a.workers,
                  "Worker counts n, comma-separated, e.g. " + std::string(help.workersExample))
      ->required()
      ->delimiter(',');
  app->add_option("-p,--params", a.params,
                  "Gradient elements p, comma-separated: integers or K/M/G (powers of 1024)")
      ->required()
      ->delimiter(',');
  app->add_option("--paradigm", a.paradigms,
                  "Paradigms, comma-separated: all-to-all, parameter-server, ring-allreduce "
                  "(default: all three)")
      ->delimiter(',');
  app->add_option("-d,--dtype", a.dtype, "Element type: " + std::string(help.dtypes))
      ->capture_default_str();
  app->add_option("--servers", a.servers,
                  "Parameter server: k sharded dedicated servers, each owning p/k")
      ->transform(countOption())
      ->capture_default_str();
  app->add_flag("--colocated", a.colocated,
                "Parameter server: on worker 0 instead of a dedicated slot");
  app->add_option("--gamma", a.gamma, std::string(help.gamma))
      ->check(realNumber("seconds per byte, at least 0, e.g. 1e-10"))
      ->capture_default_str();
  app->add_option("--format", a.format, "Output on stdout: text, json or csv")
      ->capture_default_str();
  app->add_option("--json", a.jsonFile, "Also write the JSON document to this file");
  app->add_option("--csv", a.csvFile, "Also write the rows as CSV to this file");
}

}  // namespace commsim::cli
