#include "commsim/trace.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>
#include <cmath>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "commsim/error.hpp"
#include "commsim/transport.hpp"

namespace commsim {

Tracer::Tracer(int rank, int size, std::size_t limit)
    : rank_(rank),
      limit_(limit),
      sent_(static_cast<std::size_t>(size)),
      received_(static_cast<std::size_t>(size)) {
  // Enough for a table's steps without growing while a step runs; larger traces grow to the limit.
  events_.reserve(std::min<std::size_t>(limit, 1 << 14));
}

void Tracer::beginStep(std::string_view algorithm) {
  steps_.emplace_back(algorithm);
  round_ = 0;
}

std::int64_t Tracer::posted(bool send, std::uint64_t bytes, int peer, int tag, double now) {
  // Sequence numbers advance for dropped events too, so the kept ones still pair up.
  std::uint32_t& seq = (send ? sent_ : received_)[static_cast<std::size_t>(peer)];
  const std::uint32_t sequence = seq++;
  if (events_.size() >= limit_ || steps_.empty()) {
    ++dropped_;
    return -1;
  }
  events_.push_back({now, now, bytes, peer, tag, round_, sequence,
                     static_cast<std::uint32_t>(steps_.size() - 1), send});
  return static_cast<std::int64_t>(events_.size() - 1);
}

double Tracer::onReferenceClock(int rank, double t) const {
  if (clockSamples_.empty()) return t;
  const auto r = static_cast<std::size_t>(rank);
  const ClockSample& a = clockSamples_.front()[r];
  if (clockSamples_.size() == 1 || clockSamples_.back()[r].local == a.local)
    return t + (a.reference - a.local);
  const ClockSample& b = clockSamples_.back()[r];
  return a.reference + (t - a.local) * (b.reference - a.reference) / (b.local - a.local);
}

void estimateClockOffsets(Transport& t, Tracer& tracer, int rounds) {
  if (t.sharedClock()) return;
  const auto n = static_cast<std::size_t>(t.size());
  std::vector<Tracer::ClockSample> best(n);
  double bestWidth = std::numeric_limits<double>::infinity();
  std::vector<std::uint64_t> readings(n);
  for (int k = 0; k < rounds; ++k) {
    const double before = t.now();
    t.barrier();
    const std::uint64_t mine[] = {std::bit_cast<std::uint64_t>(t.now())};
    t.allgather(mine, readings);
    const double after = t.now();
    if (t.rank() != 0 || after - before >= bestWidth) continue;
    bestWidth = after - before;
    for (std::size_t r = 0; r < n; ++r)
      best[r] = {std::bit_cast<double>(readings[r]), (before + after) / 2};
    best[0].reference = best[0].local;  // rank 0's own clock
  }
  if (t.rank() == 0) tracer.addClockSamples(std::move(best), bestWidth / 2);
}

namespace {

constexpr std::size_t kWordsPerEvent = 6;
constexpr std::size_t kHeaderWords = 3;  // events, dropped, host bytes

void pack(const Tracer& tracer, const std::string& host, std::vector<std::uint64_t>& out) {
  const auto& events = tracer.events();
  out = {events.size(), tracer.dropped(), host.size()};
  for (std::size_t i = 0; i < host.size(); i += 8) {
    std::uint64_t w = 0;
    for (std::size_t j = 0; j < 8 && i + j < host.size(); ++j)
      w |= std::uint64_t{static_cast<unsigned char>(host[i + j])} << (8 * j);
    out.push_back(w);
  }
  for (const TraceEvent& e : events) {
    out.push_back(std::bit_cast<std::uint64_t>(e.start));
    out.push_back(std::bit_cast<std::uint64_t>(e.end));
    out.push_back(e.bytes);
    out.push_back(std::uint64_t{static_cast<std::uint32_t>(e.peer)} << 32 |
                  static_cast<std::uint32_t>(e.tag));
    out.push_back(std::uint64_t{static_cast<std::uint32_t>(e.round)} << 32 | e.sequence);
    out.push_back(std::uint64_t{e.step} << 1 | (e.send ? 1u : 0u));
  }
}

struct RankTrace {
  std::string host;
  std::uint64_t dropped = 0;
  std::vector<TraceEvent> events;
};

std::vector<RankTrace> unpack(const std::vector<std::uint64_t>& words, int ranks) {
  std::vector<RankTrace> all(static_cast<std::size_t>(ranks));
  std::size_t at = 0;
  for (RankTrace& rt : all) {
    COMMSIM_ENFORCE(at + kHeaderWords <= words.size(), "trace of a rank is cut short");
    const std::uint64_t count = words[at], hostBytes = words[at + 2];
    rt.dropped = words[at + 1];
    at += kHeaderWords;
    for (std::uint64_t i = 0; i < hostBytes; ++i)
      rt.host += static_cast<char>(words[at + i / 8] >> (8 * (i % 8)) & 0xff);
    at += (hostBytes + 7) / 8;
    COMMSIM_ENFORCE(at + count * kWordsPerEvent <= words.size(), "trace of a rank is cut short");
    rt.events.resize(count);
    for (TraceEvent& e : rt.events) {
      const std::uint64_t* w = &words[at];
      e.start = std::bit_cast<double>(w[0]);
      e.end = std::bit_cast<double>(w[1]);
      e.bytes = w[2];
      e.peer = static_cast<std::int32_t>(w[3] >> 32);
      e.tag = static_cast<std::int32_t>(static_cast<std::uint32_t>(w[3]));
      e.round = static_cast<std::int32_t>(w[4] >> 32);
      e.sequence = static_cast<std::uint32_t>(w[4]);
      e.step = static_cast<std::uint32_t>(w[5] >> 1);
      e.send = (w[5] & 1) != 0;
      at += kWordsPerEvent;
    }
  }
  return all;
}

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

void appendf(std::string& out, const char* format, auto... args) {
  char buf[512];
  const int n = std::snprintf(buf, sizeof buf, format, args...);
  out.append(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

}  // namespace

std::string gatherTrace(Transport& t, const Tracer& tracer, const std::string& host,
                        TraceSummary* summary) {
  std::vector<std::uint64_t> mine, words;
  pack(tracer, host, mine);
  t.gather(mine, words);
  if (t.rank() != 0) return {};

  std::vector<RankTrace> ranks = unpack(words, t.size());
  double origin = std::numeric_limits<double>::infinity();
  TraceSummary sum;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    for (TraceEvent& e : ranks[r].events) {
      e.start = tracer.onReferenceClock(static_cast<int>(r), e.start);
      e.end = tracer.onReferenceClock(static_cast<int>(r), e.end);
      origin = std::min(origin, e.start);
    }
    sum.events += ranks[r].events.size();
    sum.dropped += ranks[r].dropped;
  }
  if (!std::isfinite(origin)) origin = 0;
  const auto us = [&](double seconds) { return (seconds - origin) * 1e6; };
  std::vector<std::string> algorithms;
  for (const std::string& name : tracer.steps()) algorithms.push_back(quoted(name));

  std::string out = "{\"traceEvents\":[\n";
  bool first = true;
  const auto next = [&] {
    if (!first) out += ",\n";
    first = false;
  };
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    next();
    appendf(out, R"({"name":"process_name","ph":"M","pid":%zu,"tid":0,"args":{"name":)", r);
    out += quoted("rank " + std::to_string(r) + " (" + ranks[r].host + ")") + "}}";
    next();
    appendf(out, R"({"name":"process_sort_index","ph":"M","pid":%zu,"tid":0,"args":{"sort_index":%zu}})",
            r, r);
  }
  // The k-th send from a to b and the k-th receive at b from a are one message.
  std::map<std::tuple<int, int, std::uint32_t>, const TraceEvent*> sends;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    for (const TraceEvent& e : ranks[r].events) {
      COMMSIM_ENFORCE(e.step < algorithms.size(), "trace event of step " << e.step << " on rank "
                                                      << r << ", rank 0 traced "
                                                      << algorithms.size() << " steps");
      next();
      appendf(out,
              R"({"name":"%s %d","cat":"%s","ph":"X","pid":%zu,"tid":0,"ts":%.3f,"dur":%.3f,)"
              R"("args":{"bytes":%llu,"peer":%d,"tag":%d,"algorithm":)",
              e.send ? "send to" : "recv from", e.peer, e.send ? "send" : "recv", r, us(e.start),
              (e.end - e.start) * 1e6, static_cast<unsigned long long>(e.bytes), e.peer, e.tag);
      out += algorithms[e.step];
      appendf(out, R"(,"round":%d,"step":%u}})", e.round, e.step);
      if (e.send) sends[{static_cast<int>(r), e.peer, e.sequence}] = &e;
    }
  }
  std::uint64_t flow = 0;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    for (const TraceEvent& e : ranks[r].events) {
      if (e.send) continue;
      const auto it = sends.find({e.peer, static_cast<int>(r), e.sequence});
      if (it == sends.end()) continue;  // its send was beyond the limit
      // The arrow leaves the send where it was posted and lands just inside the receive's end.
      const double endUs = (e.end - e.start) * 1e6;
      const double land = us(e.start) + std::max(0.0, endUs - std::min(endUs / 2, 0.001));
      next();
      appendf(out,
              R"({"name":"message","cat":"message","ph":"s","id":%llu,"pid":%d,"tid":0,"ts":%.3f},)"
              "\n"
              R"({"name":"message","cat":"message","ph":"f","bp":"e","id":%llu,"pid":%zu,"tid":0,"ts":%.3f})",
              static_cast<unsigned long long>(flow), e.peer, us(it->second->start),
              static_cast<unsigned long long>(flow), r, land);
      ++flow;
    }
  }
  out += "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"generator\":\"commsim\"";
  appendf(out,
          R"(,"clock":"%s","clock_error_us":%.3f,"event_limit_per_rank":%zu,"events":%llu,)"
          R"("dropped_events":%llu,"truncated":%s})",
          tracer.clocksAligned() ? "each rank aligned to rank 0's clock" : "one clock for every rank",
          tracer.clockError() * 1e6, tracer.limit(), static_cast<unsigned long long>(sum.events),
          static_cast<unsigned long long>(sum.dropped), sum.truncated() ? "true" : "false");
  out += "\n}\n";
  if (summary) *summary = sum;
  return out;
}

std::string truncationNote(const TraceSummary& summary, std::size_t limit) {
  return "trace: " + std::to_string(summary.dropped) +
         " send/receive events were left out beyond --trace-limit " + std::to_string(limit) +
         " per rank; the file says so (otherData.truncated)";
}

}  // namespace commsim
