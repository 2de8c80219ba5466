// `commsim list`: the registry's algorithms and the library baselines, with their options and
// closed forms. Scripts read `commsim list --format json` instead of keeping their own lists.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "commsim/algorithms.hpp"
#include "commsim/baseline.hpp"
#include "commsim/error.hpp"
#include "output.hpp"

namespace commsim::cli {

namespace {

int runList(const OutputOptions& o) {
  const Format format = o.validate();
  // The formulas are written in n, p, s; a layout is only needed to ask for them.
  const Layout sample{4, 4, 0, 4};
  Json doc;
  doc["command"] = "list";
  std::vector<Json> rows;
  for (const AlgorithmInfo& a : algorithms()) {
    const auto algorithm = a.make({});
    const Expectation e = algorithm->expect(sample, 1, 4);
    rows.push_back(Json{{"name", a.name},
                        {"kind", "algorithm"},
                        {"table_row", a.tableRow},
                        {"options", a.options},
                        {"dedicated_ranks", algorithm->dedicatedServers()},
                        {"messages_formula", e.messagesFormula},
                        {"bytes_formula", e.bytesFormula},
                        {"time_formula", algorithm->alphaBeta(sample).formula},
                        {"summary", a.summary}});
  }
  for (const auto& name : baselineNames())
    rows.push_back(Json{{"name", name},
                        {"kind", "baseline"},
                        {"table_row", false},
                        {"options", ""},
                        {"dedicated_ranks", 0},
                        {"messages_formula", nullptr},
                        {"bytes_formula", nullptr},
                        {"time_formula", nullptr},
                        {"summary", name == "mpi-allreduce" ? "MPI_Allreduce, the MPI library's own"
                                                            : "ncclAllReduce, NCCL's own (GPUs)"}});
  doc["rows"] = rows;

  std::string text;
  if (format == Format::kText) {
    TextTable table({{"name", true}, {"kind", true}, {"table", true}, {"options", true},
                     {"messages", true}, {"time on one link", true}});
    for (const Json& r : rows) {
      const auto str = [&](const char* k) { return r[k].is_null() ? std::string("-") : r[k].get<std::string>(); };
      std::string options;
      for (char c : str("options")) options += c == ',' ? std::string(", --") : std::string(1, c);
      table.add({str("name"), str("kind"), r["table_row"].get<bool>() ? "yes" : "", options.empty() ? "" : "--" + options,
                 str("messages_formula"), str("time_formula")});
    }
    text = "# commsim list: algorithms (--paradigm NAME, or all) and library baselines (bench)\n" +
           table.render() + "# docs/algorithms.md describes each one's steps and when it wins\n";
  }
  o.emit(format, doc, rows, text);
  return kExitOk;
}

}  // namespace

void addListCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand(
      "list", "List the algorithms and baselines, their options and closed forms");
  o->add(app);
  commands.push_back({app, [o](ProcessArgs) { return runList(*o); }});
}

}  // namespace commsim::cli
