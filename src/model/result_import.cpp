// Reading nccl-tests and OSU output. The formats are those the two projects print (and, for
// nccl-tests, write with -J): column headers are found, not assumed, so versions that add columns
// (root, per-iteration statistics) read the same.
#include "model/result_import.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "commsim/error.hpp"

namespace commsim {

namespace {

[[noreturn]] void bad(const std::string& source, int line, const std::string& what) {
  throw UsageError(source + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what);
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool number(const std::string& w, double& v) {
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  return ec == std::errc() && end == w.data() + w.size() && std::isfinite(v);
}

bool wholeNumber(const std::string& w, std::uint64_t& v) {
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  return ec == std::errc() && end == w.data() + w.size();
}

// One all-reduce result: m bytes in timeUs on every rank.
struct AllReduceRow {
  int line = 0;
  std::uint64_t bytes = 0;
  double timeUs = 0;
  double algbw = 0;  // GB/s
  double busbw = 0;
  double wrong = 0;
};

// A ring all-reduce of m bytes is 2(n-1) dependent steps of m/n bytes (SPEC §4): each row gives
// one step's time at its message size. The rows must be an all-reduce's: busbw = algbw 2(n-1)/n.
void addAllReduce(ImportedResults& r, const std::vector<AllReduceRow>& rows) {
  const int n = r.ranks;
  if (n < 2) bad(r.source, 0, "an all-reduce of " + std::to_string(n) + " rank(s) moves nothing to fit");
  const double factor = 2.0 * (n - 1) / n;
  for (const AllReduceRow& row : rows) {
    if (row.wrong > 0)
      bad(r.source, row.line, std::to_string(static_cast<long long>(row.wrong)) +
                                  " wrong elements: a run with errors does not measure the link");
    // Both figures are printed to 0.01 GB/s; where they are large enough to tell, they must agree.
    if (row.algbw >= 1 && std::abs(row.busbw - row.algbw * factor) > 0.02 + 0.01 * row.busbw) {
      std::ostringstream os;
      os << "busbw " << row.busbw << " is not algbw " << row.algbw << " x 2(n-1)/n = " << factor
         << " for n = " << n << " ranks: not an all-reduce on " << n << " ranks";
      bad(r.source, row.line, os.str());
    }
    const std::uint64_t message = row.bytes / static_cast<std::uint64_t>(n);
    if (message == 0 || !(row.timeUs > 0)) continue;
    r.sizes.push_back(message);
    r.times.push_back(row.timeUs * 1e-6 / (2.0 * (n - 1)));
  }
}

void requireAllReduce(const std::string& source, const std::string& program) {
  if (program.find("all_reduce") == std::string::npos)
    bad(source, 0, "'" + program + "' results: only all_reduce_perf can be fitted (the cost "
                   "model's link is read from an all-reduce's ring steps)");
}

ImportedResults ncclTestsJson(const nlohmann::json& doc, const std::string& source) {
  ImportedResults r;
  r.source = source;
  r.kind = "nccl-tests all_reduce_perf";
  if (doc.contains("args") && doc["args"].is_array() && !doc["args"].empty() &&
      doc["args"][0].is_string())
    requireAllReduce(source, doc["args"][0].get<std::string>());
  const nlohmann::json& config = doc.at("config");
  std::set<std::string> hosts;
  if (config.contains("devices")) {
    for (const auto& d : config["devices"]) hosts.insert(d.value("hostname", std::string()));
    r.ranks = static_cast<int>(config["devices"].size());
  }
  if (r.ranks == 0) bad(source, 0, "config.devices: missing or empty (the ranks that ran)");
  r.hosts = static_cast<int>(hosts.size());
  std::vector<AllReduceRow> rows;
  for (const auto& res : doc.at("results")) {
    if (!res.contains("out_of_place") || res["out_of_place"].is_null()) continue;
    const auto& o = res["out_of_place"];
    AllReduceRow row;
    row.bytes = res.at("size").get<std::uint64_t>();
    row.timeUs = o.contains("time") ? o["time"].get<double>() : o.at("cpu_time").get<double>();
    row.algbw = o.at("alg_bw").get<double>();
    row.busbw = o.at("bus_bw").get<double>();
    row.wrong = o.contains("nwrong") && o["nwrong"].is_number() ? o["nwrong"].get<double>() : 0;
    rows.push_back(row);
  }
  addAllReduce(r, rows);
  return r;
}

ImportedResults ncclTestsText(const std::vector<std::string>& lines, const std::string& source) {
  ImportedResults r;
  r.source = source;
  r.kind = "nccl-tests all_reduce_perf";
  std::set<std::string> hosts;
  int timeCol = -1, algCol = -1, busCol = -1, wrongCol = -1, columns = 0;
  std::vector<AllReduceRow> rows;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int lineNo = static_cast<int>(i) + 1;
    const std::vector<std::string> w = words(lines[i]);
    if (w.empty()) continue;
    if (w[0] == "#") {
      if (w.size() >= 4 && w[1] == "Collective" && w[2] == "test" && w[3] == "starting:")
        requireAllReduce(source, w.size() > 4 ? w[4] : "");
      // "#  Rank  0 Group  0 Pid 123 on host device 0 [...] name"
      if (w.size() >= 9 && w[1] == "Rank" && w[7] == "on") {
        hosts.insert(w[8]);
        ++r.ranks;
      }
      if (timeCol < 0 && std::find(w.begin(), w.end(), "busbw") != w.end()) {
        for (std::size_t k = 1; k < w.size(); ++k) {
          const int c = static_cast<int>(k) - 1;  // columns of the data lines
          if ((w[k] == "time" || w[k] == "cputime") && timeCol < 0) timeCol = c;
          if (w[k] == "algbw" && algCol < 0) algCol = c;
          if (w[k] == "busbw" && busCol < 0) busCol = c;
          if (w[k] == "#wrong" && wrongCol < 0) wrongCol = c;
        }
        columns = std::max({timeCol, algCol, busCol, wrongCol}) + 1;
      }
      continue;
    }
    if (timeCol < 0 || algCol < 0 || busCol < 0) continue;  // before the table: other output
    AllReduceRow row;
    row.line = lineNo;
    if (static_cast<int>(w.size()) < columns || !wholeNumber(w[0], row.bytes) ||
        !number(w[static_cast<std::size_t>(timeCol)], row.timeUs) ||
        !number(w[static_cast<std::size_t>(algCol)], row.algbw) ||
        !number(w[static_cast<std::size_t>(busCol)], row.busbw))
      bad(source, lineNo, "not a result row of the table above it (size, count, type, redop, "
                          "root, time, algbw, busbw, #wrong)");
    if (wrongCol >= 0 && w[static_cast<std::size_t>(wrongCol)] != "N/A" &&
        !number(w[static_cast<std::size_t>(wrongCol)], row.wrong))
      bad(source, lineNo, "#wrong: '" + w[static_cast<std::size_t>(wrongCol)] + "' is not a number");
    rows.push_back(row);
  }
  if (r.ranks == 0)
    bad(source, 0, "no '#  Rank ... on HOST device ...' lines: the ranks that ran are unknown");
  r.hosts = static_cast<int>(hosts.size());
  addAllReduce(r, rows);
  return r;
}

ImportedResults osu(const std::vector<std::string>& lines, const std::string& source,
                    const ImportHints& hints) {
  ImportedResults r;
  r.source = source;
  const std::string& title = lines.front();
  const auto has = [&](const char* s) { return title.find(s) != std::string::npos; };
  if (has("Allreduce")) r.kind = "osu_allreduce";
  else if (has("Bi-Directional")) bad(source, 1, "osu_bibw is not read (osu_latency, osu_bw, osu_allreduce are)");
  else if (has("Bandwidth Test")) r.kind = "osu_bw";
  else if (has("Latency Test") && !has("Multi")) r.kind = "osu_latency";
  else bad(source, 1, "'" + title + "': not an OSU test commsim reads (osu_latency, osu_bw, osu_allreduce)");
  r.hosts = hints.hosts > 0 ? hints.hosts : 1;
  if (r.kind == "osu_allreduce") {
    if (hints.ranks < 2)
      bad(source, 0, "osu_allreduce does not print how many ranks ran it: give --ranks N (at least 2)");
    r.ranks = hints.ranks;
  } else {
    r.ranks = 2;
  }
  std::vector<AllReduceRow> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const int lineNo = static_cast<int>(i) + 1;
    const std::vector<std::string> w = words(lines[i]);
    if (w.empty() || w[0][0] == '#') continue;
    std::uint64_t size = 0;
    double value = 0;
    if (w.size() < 2 || !wholeNumber(w[0], size) || !number(w[1], value) || value < 0)
      bad(source, lineNo, "not a result row (a size in bytes, then a non-negative figure)");
    if (r.kind == "osu_allreduce") {
      AllReduceRow row;
      row.line = lineNo;
      row.bytes = size;
      row.timeUs = value;
      rows.push_back(row);  // no bandwidth columns to cross-check
    } else if (size > 0 && value > 0) {
      r.sizes.push_back(size);
      r.times.push_back(r.kind == "osu_latency" ? value * 1e-6 : static_cast<double>(size) / (value * 1e6));
    }
  }
  if (r.kind == "osu_allreduce") addAllReduce(r, rows);
  return r;
}

}  // namespace

ImportedResults importResults(const std::string& text, const std::string& source,
                              const ImportHints& hints) {
  ImportedResults r;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) bad(source, 0, "is empty (expected nccl-tests or OSU output)");
  if (text[first] == '{') {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      bad(source, 0, std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object() || !doc.contains("results") || !doc.contains("config"))
      bad(source, 0, "JSON without config and results: not an nccl-tests -J file");
    try {
      r = ncclTestsJson(doc, source);
    } catch (const nlohmann::json::exception& e) {
      bad(source, 0, std::string("nccl-tests JSON with a field missing or of the wrong type: ") + e.what());
    }
  } else {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    while (!lines.empty() && words(lines.front()).empty()) lines.erase(lines.begin());
    if (lines.front().rfind("# OSU", 0) == 0) r = osu(lines, source, hints);
    else if (text.find("busbw") != std::string::npos) r = ncclTestsText(lines, source);
    else bad(source, 1, "neither nccl-tests output (a table with busbw) nor OSU output ('# OSU ...')");
  }
  // Ascending, one time per size (the fastest: what else ran can only add time).
  std::map<std::uint64_t, double> bySize;
  for (std::size_t i = 0; i < r.sizes.size(); ++i) {
    auto [it, fresh] = bySize.emplace(r.sizes[i], r.times[i]);
    if (!fresh) it->second = std::min(it->second, r.times[i]);
  }
  if (bySize.size() < 2)
    bad(source, 0, std::to_string(bySize.size()) + " message size(s) with a time: at least two are "
                   "needed to tell latency from bandwidth");
  r.sizes.clear();
  r.times.clear();
  for (const auto& [m, t] : bySize) {
    r.sizes.push_back(m);
    r.times.push_back(t);
  }
  return r;
}

}  // namespace commsim
