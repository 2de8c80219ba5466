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
#include "commsim/step_report.hpp"
#include "core/size_parse.hpp"
#include "harness/step_json.hpp"
#include "launch.hpp"
#include "output.hpp"
#include "selection.hpp"
#include "trace_options.hpp"

namespace commsim::cli {

namespace {

struct TableOptions {
  std::string params = "1M";
  OutputOptions output;
  TraceOptions trace;
  SelectionOptions selection;
};

std::string bytesRange(std::uint64_t lo, std::uint64_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

// The text report: `ranks` and the transport's `detail` (may be empty) head it.
std::string renderText(const std::vector<StepRow>& steps, bool ok, std::uint64_t count, DType dtype,
                       const std::string& ranks, const std::string& detail) {
  std::ostringstream os;
  os << "# commsim table: one gradient synchronisation step per paradigm, counted by the "
        "transport\n";
  os << "#   " << ranks << "\n";
  if (!detail.empty()) os << "#   " << detail << "\n";
  os << "#   p = " << count << " elements of " << dtypeName(dtype) << " (s = " << elementBytes(dtype)
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
  for (const StepRow& step : steps) {
    const CountsRow& r = step.counts;
    const Counters& c = r.counters;
    anyEmpty = anyEmpty || c.emptySent > 0;
    table.add({r.paradigm, r.variant, std::to_string(c.messagesSent),
               r.expected.messagesFormula + " = " + std::to_string(r.expected.messages),
               bytesRange(c.minMessageBytes, c.maxMessageBytes), std::to_string(c.bytesSent),
               r.expected.bytesFormula + " = " + std::to_string(r.expected.totalBytes),
               std::to_string(r.wrong), fixed(step.timeS * 1e3, 3),
               r.ok() ? "\u2713" : "\u2717 MISMATCH"});
  }
  os << table.render();
  if (anyEmpty) {
    os << "#\n# empty (zero-byte) messages, counted above:";
    for (const StepRow& step : steps)
      if (step.counts.counters.emptySent > 0)
        os << ' ' << step.counts.paradigm << '=' << step.counts.counters.emptySent;
    os << '\n';
  }
  os << "#\n# " << (ok ? "all checks held: every count equals its closed form and every rank "
                         "holds the exact result"
                       : "CHECK FAILED: a count differs from its closed form or a result is wrong")
     << '\n';
  return os.str();
}

int runTable(const TableOptions& o, ProcessArgs args) {
  const std::uint64_t count = parseSize(o.params, "params");
  Selection selection = resolveSelection(o.selection, /*allowBaselines=*/false);
  const DType dtype = selection.dtype;
  const Format format = o.output.validate();
  o.trace.validate();
  const StepDelay delay = o.trace.delay();
  validateLaunch(o.selection.launch);

  return launch(args, o.selection.launch, [&](Transport& t, MemorySpace& memory) {
    requireTwoRanks(t, "table");
    auto agreed = selection.agreed();
    agreed.insert(agreed.begin(), {"params", count});
    for (const auto& v : o.trace.agreed()) agreed.push_back(v);
    ensureRanksAgree(t, agreed);
    ensureDelayedRankExists(delay, t.size());
    const Layout layout = selection.layoutFor(t);
    ensureExactInputs(layout, dtype);
    ensureFitsInMemory(t, memory, count, dtype);
    TraceSession trace(o.trace, t);

    Json doc = toJson(documentHeader("table", t, memory, layout, dtype));
    doc["params"] = count;
    doc["rows"] = Json::array();
    bool ok = true;
    std::vector<StepRow> steps;
    std::vector<Json> rows;
    for (const auto& chosen : selection.chosen) {
      const Paradigm& p = *chosen.paradigm;
      const StepResult r = runCheckedStep(p, t, memory, layout, count, dtype, kDefaultLearningRate,
                                          ValueCheck::Exact, delay);
      ok = ok && r.ok();
      steps.push_back(stepRow(p, r, layout, count, elementBytes(dtype)));
      rows.push_back(toJson(steps.back()));
      doc["rows"].push_back(rows.back());
    }
    doc["ok"] = ok;
    trace.finish();
    if (t.rank() == 0)
      o.output.emit(format, doc, rows,
                    format == Format::kText
                        ? renderText(steps, ok, count, dtype,
                                     describeRanks(t.name(), t.size(), layout), t.detail())
                        : "");
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
  o->output.add(app);
  o->trace.add(app, /*withAll=*/false);
  addSelectionOptions(app, o->selection, /*allowBaselines=*/false);
  commands.push_back({app, [o](ProcessArgs args) { return runTable(*o, args); }});
}

}  // namespace commsim::cli
