// --trace FILE, --trace-limit N (and on bench --trace-all): the timeline of a command's steps
// (SPEC §12, commsim/trace.hpp, docs/trace.md); and --delay-rank R:SECONDS, a straggler to watch
// in it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commsim/harness.hpp"
#include "commsim/trace.hpp"
#include "commsim/transport.hpp"

namespace commsim::cli {

struct TraceOptions {
  std::string file;
  std::string limit = std::to_string(Tracer::kDefaultLimit);
  bool all = false;  // bench: every step, not only the checked ones
  std::string delayRank;  // "R:SECONDS", empty: none

  // withAll: also --trace-all (bench).
  void add(CLI::App* app, bool withAll);
  // Refuses, before any work, a file that cannot be written or a bad limit; returns the limit.
  std::size_t validate() const;
  bool on() const { return !file.empty(); }
  StepDelay delay() const { return delayRank.empty() ? StepDelay{} : parseStepDelay(delayRank); }
  // The delay as values every rank must agree on, for ensureRanksAgree.
  std::vector<std::pair<const char*, std::uint64_t>> agreed() const;
};

// The --trace-limit value: digits, optionally K/M/G, from 1 to kMaxTraceLimit.
std::size_t parseTraceLimit(const std::string& text);
inline constexpr std::size_t kMaxTraceLimit = 100000000;

// On every rank, for the life of a command's body: with --trace, a tracer on the transport, its
// clock offsets estimated at the start; finish() gathers the events to rank 0, which writes the
// file (whole or not at all) and says on stderr when events were left out. Without --trace it
// does nothing.
class TraceSession {
 public:
  TraceSession(const TraceOptions& options, Transport& transport);
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  void finish();

 private:
  const TraceOptions& options_;
  Transport& transport_;
  std::unique_ptr<Tracer> tracer_;
};

}  // namespace commsim::cli
