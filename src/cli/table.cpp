// `commsim table`: one synchronisation step per paradigm, counted by the transport and set next
// to the closed forms of the communication-cost table (SPEC §1).
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/memory.hpp"
#include "commsim/size_parse.hpp"
#include "commsim/step_report.hpp"
#include "launch.hpp"
#include "output.hpp"

namespace commsim::cli {

namespace {

struct TableOptions {
  std::string params = "1M";
  std::string dtype = "float32";
  std::string format = "text";
  std::string jsonFile;
  std::string csvFile;
  std::vector<std::string> paradigms = paradigmNames();
  int servers = 1;
  bool colocated = false;
  Backend backend;
};

std::string bytesRange(std::uint64_t lo, std::uint64_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

std::string renderText(const Json& doc, const std::string& transportName) {
  std::ostringstream os;
  const int n = doc["workers"];
  const int servers = doc["servers"];
  const int world = doc["world_size"];
  os << "# commsim table: one gradient synchronisation step per paradigm, counted by the "
        "transport\n";
  os << "#   transport " << transportName << ", " << world << " ranks: n = " << n << " workers";
  if (servers == 1) os << " + 1 dedicated parameter-server rank (rank " << n << ")";
  if (servers > 1) os << " + " << servers << " dedicated server ranks (" << n << ".." << n + servers - 1 << ")";
  if (world > n + servers) os << " + " << world - n - servers << " idle";
  os << "\n#   p = " << doc["params"].get<std::uint64_t>() << " elements of "
     << doc["dtype"].get<std::string>() << " (s = " << doc["element_bytes"].get<int>()
     << " B); each count is what the transport saw, next to its closed form\n#\n";
  TextTable table({{"paradigm", true},
                   {"variant", true},
                   {"messages"},
                   {"formula", true},
                   {"bytes/message"},
                   {"total bytes"},
                   {"formula", true},
                   {"wrong"},
                   {"time (ms)"},
                   {"check", true}});
  bool anyEmpty = false;
  for (const Json& r : doc["rows"]) {
    const auto msgs = r["messages"].get<std::uint64_t>();
    const auto expMsgs = r["expected_messages"].get<std::uint64_t>();
    const auto bytes = r["total_bytes"].get<std::uint64_t>();
    const auto expBytes = r["expected_total_bytes"].get<std::uint64_t>();
    anyEmpty = anyEmpty || r["empty_messages"].get<std::uint64_t>() > 0;
    table.add({r["paradigm"].get<std::string>(), r["variant"].get<std::string>(),
               std::to_string(msgs),
               r["messages_formula"].get<std::string>() + " = " + std::to_string(expMsgs),
               bytesRange(r["message_bytes_min"], r["message_bytes_max"]), std::to_string(bytes),
               r["bytes_formula"].get<std::string>() + " = " + std::to_string(expBytes),
               std::to_string(r["wrong"].get<std::uint64_t>()),
               fixed(r["time_s"].get<double>() * 1e3, 3),
               r["ok"].get<bool>() ? "\u2713" : "\u2717 MISMATCH"});
  }
  os << table.render();
  if (anyEmpty) {
    os << "#\n# empty (zero-byte) messages, counted above:";
    for (const Json& r : doc["rows"])
      if (r["empty_messages"].get<std::uint64_t>() > 0)
        os << ' ' << r["paradigm"].get<std::string>() << '=' << r["empty_messages"].get<std::uint64_t>();
    os << '\n';
  }
  os << "#\n# " << (doc["ok"].get<bool>()
                        ? "all checks held: every count equals its closed form and every rank "
                          "holds the exact result"
                        : "CHECK FAILED: a count differs from its closed form or a result is wrong")
     << '\n';
  return os.str();
}

int runTable(const TableOptions& o, ProcessArgs args) {
  const std::uint64_t count = parseSize(o.params, "params");
  const DType dtype = parseDType(o.dtype);
  if (o.backend.memory == "host" && !hostSupports(dtype))
    throw UsageError("dtype: " + o.dtype + " is not supported in host memory (allowed: float32, float64)");
  const Format format = parseFormat(o.format);
  if (o.servers < 1)
    throw UsageError("servers: " + std::to_string(o.servers) + " is not allowed (at least 1)");
  if (o.colocated && o.servers != 1)
    throw UsageError("servers: " + std::to_string(o.servers) +
                     " cannot be combined with --colocated (the co-located server is one, on "
                     "worker 0; allowed: --servers K or --colocated)");
  std::vector<std::unique_ptr<Paradigm>> paradigms;
  std::uint64_t paradigmMask = 0;
  for (const auto& name : o.paradigms) {
    paradigms.push_back(makeParadigm(name, o.servers, o.colocated));
    for (std::size_t i = 0; i < paradigmNames().size(); ++i)
      if (paradigmNames()[i] == name) paradigmMask |= std::uint64_t{1} << i;
  }
  if (!o.jsonFile.empty()) ensureWritable(o.jsonFile, "--json");
  if (!o.csvFile.empty()) ensureWritable(o.csvFile, "--csv");
  validateBackend(o.backend);

  return launch(args, o.backend, [&](Transport& t, MemorySpace& memory) {
    if (t.size() < 2)
      throw UsageError("ranks: commsim table needs at least 2 ranks, got " +
                       std::to_string(t.size()) +
                       " (run it under mpirun -np W with W >= 2, or with --local N)");
    const std::uint64_t agreed[] = {count, static_cast<std::uint64_t>(dtype), paradigmMask,
                                    static_cast<std::uint64_t>(o.servers), o.colocated ? 1u : 0u};
    const char* const names[] = {"params", "dtype", "paradigms", "servers", "colocated"};
    ensureRanksAgree(t, agreed, names, [](std::size_t i, std::uint64_t v) -> std::string {
      if (i == 1) return std::string(dtypeName(static_cast<DType>(v)));
      if (i != 2) return std::to_string(v);
      std::string list;
      for (std::size_t k = 0; k < paradigmNames().size(); ++k)
        if (v >> k & 1) list += (list.empty() ? "" : ",") + paradigmNames()[k];
      return list;
    });
    std::vector<const Paradigm*> views;
    for (const auto& p : paradigms) views.push_back(p.get());
    const Layout layout = layoutFor(t.size(), views);
    ensureFitsInMemory(t, count, dtype);

    Json doc;
    doc["command"] = "table";
    doc["transport"] = t.name();
    doc["world_size"] = t.size();
    doc["workers"] = layout.workers;
    doc["servers"] = layout.servers;
    doc["params"] = count;
    doc["dtype"] = dtypeName(dtype);
    doc["element_bytes"] = elementBytes(dtype);
    doc["lr"] = kDefaultLearningRate;
    doc["rows"] = Json::array();
    bool ok = true;
    std::vector<Json> rows;
    for (const auto& p : paradigms) {
      const StepResult r = runCheckedStep(*p, t, memory, layout, count, dtype);
      ok = ok && r.ok();
      rows.push_back(stepRow(*p, r, layout, count, elementBytes(dtype)));
      doc["rows"].push_back(rows.back());
    }
    doc["ok"] = ok;
    if (t.rank() == 0) {
      if (!o.jsonFile.empty()) writeFileAtomically(o.jsonFile, doc.dump(2) + "\n");
      if (!o.csvFile.empty()) writeFileAtomically(o.csvFile, toCsv(rows));
      switch (format) {
        case Format::kText: std::cout << renderText(doc, std::string(t.name())); break;
        case Format::kJson: std::cout << doc.dump(2) << '\n'; break;
        case Format::kCsv: std::cout << toCsv(rows); break;
      }
      std::cout.flush();
    }
    return ok ? kExitOk : kExitCheckFailed;
  });
}

}  // namespace

void addTableCommand(CLI::App& root, std::vector<Command>& commands) {
  auto o = std::make_shared<TableOptions>();
  CLI::App* app = root.add_subcommand(
      "table", "Run one synchronisation step per paradigm and set each count beside its formula");
  app->add_option("-p,--params", o->params,
                  "Gradient elements p: an integer or K/M/G (powers of 1024)")
      ->capture_default_str();
  app->add_option("-d,--dtype", o->dtype, "Element type: float32 or float64")->capture_default_str();
  app->add_option("--format", o->format, "Output on stdout: text, json or csv")->capture_default_str();
  app->add_option("--json", o->jsonFile, "Also write the JSON document to this file");
  app->add_option("--csv", o->csvFile, "Also write the rows as CSV to this file");
  app->add_option("--paradigm", o->paradigms,
                  "Paradigms, comma-separated: all-to-all, parameter-server, ring-allreduce")
      ->delimiter(',')
      ->capture_default_str();
  app->add_option("--servers", o->servers,
                  "Parameter server: k sharded server ranks (the last k ranks)")
      ->capture_default_str();
  app->add_flag("--colocated", o->colocated,
                "Parameter server: run the server on worker 0 instead of a dedicated rank");
  addBackendOptions(app, o->backend);
  commands.push_back({app, [o](ProcessArgs args) { return runTable(*o, args); }});
}

}  // namespace commsim::cli
