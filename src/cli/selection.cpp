#include "selection.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "commsim/baseline.hpp"
#include "commsim/bench.hpp"
#include "commsim/error.hpp"
#include "core/size_parse.hpp"
#include "harness/step_json.hpp"

namespace commsim::cli {

namespace {
// Every name --paradigm takes, in the order the agreement mask numbers them.
std::vector<std::string> knownNames(bool withBaselines) {
  std::vector<std::string> known = algorithmNames();
  if (withBaselines) known.insert(known.end(), baselineNames().begin(), baselineNames().end());
  return known;
}
}  // namespace

std::string algorithmHelp(bool withBaselines) {
  return std::string(withBaselines ? "Algorithms and baselines" : "Algorithms") +
         ", comma-separated: " + joinNames(knownNames(withBaselines)) +
         ", or all (every algorithm; `commsim list` describes them)";
}

void addAlgorithmOptions(CLI::App* app, AlgorithmOptions& o) {
  app->add_option("--servers", o.servers,
                  "parameter-server: k sharded server ranks (the last k ranks)")
      ->transform(countOption())
      ->capture_default_str();
  app->add_flag("--colocated", o.colocated,
                "parameter-server: run the server on worker 0 instead of a dedicated rank");
  app->add_option("--segments", o.segments,
                  "binary-tree: pipeline the gradient in K segments")
      ->transform(countOption())
      ->capture_default_str();
  app->add_option("--ranks-per-host", o.ranksPerHost,
                  "hierarchical-ring: G workers per host group, dividing n (default: the "
                  "workers per host as placed)")
      ->transform(countOption());
}

void addSelectionOptions(CLI::App* app, SelectionOptions& o, bool allowBaselines) {
  app->add_option("-d,--dtype", o.dtype,
                  "Element type: float32 or float64; with device memory also float16, bfloat16")
      ->capture_default_str();
  app->add_option("--paradigm", o.paradigms, algorithmHelp(allowBaselines))
      ->delimiter(',')
      ->capture_default_str();
  addAlgorithmOptions(app, o.algorithm);
  addLaunchOptions(app, o.launch);
}

void validateAlgorithmOptions(const AlgorithmOptions& o) {
  if (o.servers < 1)
    throw UsageError("servers: " + std::to_string(o.servers) + " is not allowed (at least 1)");
  if (o.colocated && o.servers != 1)
    throw UsageError("servers: " + std::to_string(o.servers) +
                     " cannot be combined with --colocated (the co-located server is one, on "
                     "worker 0; allowed: --servers K or --colocated)");
  if (o.segments < 1)
    throw UsageError("segments: " + std::to_string(o.segments) + " is not allowed (at least 1)");
  if (o.ranksPerHost < 0)
    throw UsageError("ranks-per-host: " + std::to_string(o.ranksPerHost) +
                     " is not allowed (at least 1, dividing the workers)");
}

Selection resolveSelection(const SelectionOptions& o, bool allowBaselines) {
  Selection s;
  s.dtype = parseDType(o.dtype);
  if (o.launch.backend.memory == "host" && !hostSupports(s.dtype))
    throw UsageError("dtype: " + o.dtype +
                     " is not supported in host memory (allowed: float32, float64)");
  validateAlgorithmOptions(o.algorithm);
  s.algorithm = o.algorithm;
  const std::vector<std::string> known = knownNames(allowBaselines);
  for (const auto& name : expandAlgorithmList(o.paradigms)) {
    Chosen e;
    e.name = name;
    const auto at = std::find(known.begin(), known.end(), name);
    if (at == known.end())
      throw UsageError("paradigm: '" + name + "' is not known (allowed: " + joinNames(known) +
                       ", all)");
    s.mask |= std::uint64_t{1} << (at - known.begin());
    e.baseline = isBaselineName(name);
    if (!e.baseline) e.paradigm = makeAlgorithm(name, o.algorithm);
    s.chosen.push_back(std::move(e));
  }
  if (s.chosen.empty()) throw UsageError("paradigm: the list is empty (name at least one)");
  return s;
}

std::vector<std::pair<const char*, std::uint64_t>> Selection::agreed() const {
  return {{"dtype", static_cast<std::uint64_t>(dtype)},
          {"paradigms", mask},
          {"servers", static_cast<std::uint64_t>(algorithm.servers)},
          {"colocated", algorithm.colocated ? 1u : 0u},
          {"segments", static_cast<std::uint64_t>(algorithm.segments)},
          {"ranks-per-host", static_cast<std::uint64_t>(algorithm.ranksPerHost)}};
}

Layout Selection::layoutFor(Transport& transport) const {
  std::vector<const Paradigm*> views;
  for (const auto& e : chosen)
    if (e.paradigm) views.push_back(e.paradigm.get());
  Layout layout = commsim::layoutFor(transport.size(), views);
  layout.workersPerHost =
      placedWorkersPerHost(transport, layout.workers, std::hash<std::string>{}(hostName()));
  for (const Paradigm* p : views) p->validate(layout);
  return layout;
}

std::vector<RankCase> Selection::cases(Transport& transport, const MemorySpace& memory,
                                       const Layout& layout) const {
  std::vector<RankCase> out;
  for (const auto& e : chosen) {
    RankCase c;
    c.name = e.name;
    if (e.baseline) {
      BaselineOffer offer = makeBaseline(e.name, transport, memory, layout);
      c.owned = std::move(offer.paradigm);
      c.paradigm = c.owned.get();
      c.unavailable = std::move(offer.unavailable);
    } else {
      c.paradigm = e.paradigm.get();
    }
    out.push_back(std::move(c));
  }
  return out;
}

void requireTwoRanks(const Transport& t, std::string_view command) {
  if (t.size() < 2)
    throw UsageError("ranks: commsim " + std::string(command) + " needs at least 2 ranks, got " +
                     std::to_string(t.size()) +
                     " (run it under mpirun -np W with W >= 2, or with --local N)");
}

void ensureRanksAgree(Transport& t,
                      const std::vector<std::pair<const char*, std::uint64_t>>& values) {
  std::vector<std::uint64_t> v;
  std::vector<const char*> names;
  for (const auto& [name, value] : values) {
    names.push_back(name);
    v.push_back(value);
  }
  // Values as the user wrote them: type names and paradigm lists, not their codes.
  commsim::ensureRanksAgree(t, v, names, [&](std::size_t i, std::uint64_t value) -> std::string {
    const std::string_view name = names[i];
    if (name == "dtype") return std::string(dtypeName(static_cast<DType>(value)));
    if (name != "paradigms") return std::to_string(value);
    const std::vector<std::string> known = knownNames(true);
    std::string list;
    for (std::size_t k = 0; k < known.size(); ++k)
      if (value >> k & 1) list += (list.empty() ? "" : ",") + known[k];
    return list;
  });
}

RunHeader runHeader(std::string_view command, const Transport& t, const MemorySpace& memory) {
  return {std::string(command), std::string(t.name()), std::string(memory.name()),
          std::string(t.dataPath()), t.detail(), t.size()};
}

Json toJson(const RunHeader& h) {
  Json doc;
  doc["command"] = h.command;
  doc["transport"] = h.transport;
  doc["memory"] = h.memory;
  doc["data_path"] = h.dataPath;
  if (!h.transportDetail.empty()) doc["transport_detail"] = h.transportDetail;
  doc["world_size"] = h.worldSize;
  return doc;
}

DocumentHeader documentHeader(std::string_view command, const Transport& t,
                              const MemorySpace& memory, const Layout& layout, DType dtype) {
  return {runHeader(command, t, memory), layout.workers, layout.servers, dtype,
          kDefaultLearningRate};
}

Json toJson(const DocumentHeader& h) {
  Json doc = toJson(h.run);
  doc["workers"] = h.workers;
  doc["servers"] = h.servers;
  addJson(doc, h.dtype);
  doc["lr"] = h.lr;
  return doc;
}

std::string hostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return printable(host);
}

std::string describeRanks(std::string_view transport, int world, const Layout& layout) {
  const int n = layout.workers;
  const int servers = layout.servers;
  std::string text = "transport " + std::string(transport) + ", " + std::to_string(world) +
                     " ranks: n = " + std::to_string(n) + " workers";
  if (servers == 1)
    text += " + 1 dedicated parameter-server rank (rank " + std::to_string(n) + ")";
  if (servers > 1)
    text += " + " + std::to_string(servers) + " dedicated server ranks (" + std::to_string(n) +
            ".." + std::to_string(n + servers - 1) + ")";
  if (world > n + servers) text += " + " + std::to_string(world - n - servers) + " idle";
  return text;
}

void SweepOptions::add(CLI::App* app) {
  app->add_option("-b,--minbytes", minBytes,
                  "Smallest gradient size in bytes: an integer or K/M/G (powers of 1024)")
      ->capture_default_str();
  app->add_option("-e,--maxbytes", maxBytes, "Largest gradient size in bytes")->capture_default_str();
  app->add_option("-f,--stepfactor", stepFactor, "Multiply the size by this between rows")
      ->capture_default_str();
  app->add_option("-w,--warmup-iters", warmup, "Untimed steps per size and algorithm")
      ->capture_default_str();
  app->add_option("-n,--iters", iterations, "Timed steps per size and algorithm")
      ->capture_default_str();
  app->add_option("--min-time", minTime,
                  "Seconds the timed steps of each size and algorithm last at least in all: more "
                  "steps than -n where they are short (0: exactly -n)")
      ->capture_default_str();
}

std::vector<std::pair<const char*, std::uint64_t>> Sweep::agreed() const {
  return {{"minbytes", minBytes},
          {"maxbytes", maxBytes},
          {"stepfactor", factor},
          {"iters", static_cast<std::uint64_t>(iterations)},
          {"warmup-iters", static_cast<std::uint64_t>(warmup)},
          {"min-time", static_cast<std::uint64_t>(std::llround(minTimeS * 1e9))}};
}

std::string Sweep::minTimeText() const {
  if (minTimeS <= 0) return "";
  std::ostringstream os;
  os << ", more where they last under " << minTimeS << " s in all (--min-time)";
  return os.str();
}

void Sweep::describe(Json& doc) const {
  doc["min_bytes"] = minBytes;
  doc["max_bytes"] = maxBytes;
  doc["step_factor"] = factor;
  doc["warmup_iterations"] = warmup;
  doc["iterations"] = iterations;
  doc["min_time_s"] = minTimeS;
}

Sweep parseSweep(const SweepOptions& o, std::size_t s) {
  Sweep w;
  w.minBytes = parseSize(o.minBytes, "minbytes");
  w.maxBytes = parseSize(o.maxBytes, "maxbytes");
  w.factor = parseSize(o.stepFactor, "stepfactor");
  // count = size / s, as nccl-tests has it; sizes below s, or that round alike, give one row.
  for (const std::uint64_t size : sizeSweep(w.minBytes, w.maxBytes, w.factor))
    if (w.counts.empty() || w.counts.back() != size / s) w.counts.push_back(size / s);
  w.warmup = parseRepetitions(o.warmup, "warmup-iters", 0, "untimed steps");
  w.iterations = parseRepetitions(o.iterations, "iters", 1, "timed steps");
  w.minTimeS = parseSeconds(o.minTime, "min-time", kMostMinTimeS, "exactly -n timed steps");
  return w;
}

}  // namespace commsim::cli
