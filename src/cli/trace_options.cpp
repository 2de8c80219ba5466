#include "trace_options.hpp"

#include <cmath>
#include <cstdio>

#include "commsim/error.hpp"
#include "core/files.hpp"
#include "core/size_parse.hpp"
#include "selection.hpp"

namespace commsim::cli {

void TraceOptions::add(CLI::App* app, bool withAll) {
  app->add_option("--trace", file,
                  "Write a timeline of every send and receive (Chrome trace JSON for Perfetto, "
                  "docs/trace.md) to this file");
  app->add_option("--trace-limit", limit,
                  "Most send/receive events each rank keeps for --trace; beyond it they are left "
                  "out and the file and stderr say so")
      ->capture_default_str();
  if (withAll)
    app->add_flag("--trace-all", all,
                  "Trace the warm-up and timed steps too, not only the checked step of each size");
  app->add_option("--delay-rank", delayRank,
                  "R:SECONDS: rank R starts its part of every step SECONDS late (a straggler to "
                  "study; simulated time under simulate)");
}

std::vector<std::pair<const char*, std::uint64_t>> TraceOptions::agreed() const {
  const StepDelay d = delay();
  return {{"delay-rank", static_cast<std::uint64_t>(d.rank + 1)},
          {"delay-rank seconds (ns)", static_cast<std::uint64_t>(std::llround(d.seconds * 1e9))}};
}

std::size_t parseTraceLimit(const std::string& text) {
  std::string why;
  const auto n = tryParseSize(text, &why);
  if (!n || *n < 1 || *n > kMaxTraceLimit)
    throw UsageError("trace-limit: '" + printable(text) + "' is not allowed (allowed: events per " +
                     "rank, 1 to " + std::to_string(kMaxTraceLimit) + ", digits or K/M)");
  return static_cast<std::size_t>(*n);
}

std::size_t TraceOptions::validate() const {
  const std::size_t n = parseTraceLimit(limit);
  delay();
  if (on()) ensureWritable(file, "--trace");
  return n;
}

TraceSession::TraceSession(const TraceOptions& options, Transport& transport)
    : options_(options), transport_(transport) {
  if (!options.on()) return;
  tracer_ = std::make_unique<Tracer>(transport.rank(), transport.size(),
                                     parseTraceLimit(options.limit));
  estimateClockOffsets(transport, *tracer_);
  transport.setTracer(tracer_.get());
}

TraceSession::~TraceSession() {
  if (tracer_) transport_.setTracer(nullptr);
}

void TraceSession::finish() {
  if (!tracer_) return;
  transport_.setTracer(nullptr);
  estimateClockOffsets(transport_, *tracer_);  // again: the clocks' rates differ too
  TraceSummary summary;
  const std::string doc = gatherTrace(transport_, *tracer_, hostName(), &summary);
  if (transport_.rank() != 0) return;
  writeFileAtomically(options_.file, doc);
  if (summary.truncated())
    std::fprintf(stderr, "commsim: %s\n", truncationNote(summary, tracer_->limit()).c_str());
}

}  // namespace commsim::cli
