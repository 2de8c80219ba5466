// Timelines (SPEC §12): every send and receive handed to the transport, recorded where it is
// counted (Transport::isend, irecv, waitAll), gathered to rank 0 and written as Chrome trace-event
// JSON that Perfetto and chrome://tracing open. docs/trace.md describes the file.
//
// A span runs from the moment the operation is handed to the transport to the return of the wait
// that completed it, on the transport's clock (Transport::now: MPI_Wtime, simulated under SMPI).
// Its round is the number of waits this rank had completed in the step when it posted the
// operation: the code's own rounds (a ring step is one round, a parameter server that receives
// one gradient per wait takes one round per gradient), as commsim/schedule.hpp counts them.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace commsim {

class Transport;

struct TraceEvent {
  double start = 0;  // Transport::now() when posted
  double end = 0;    // Transport::now() when the wait that completed it returned
  std::uint64_t bytes = 0;
  std::int32_t peer = 0;
  std::int32_t tag = 0;
  std::int32_t round = 0;
  // This rank's how-manyth send to (receive from) `peer` among the traced ones: messages between
  // one pair match in posting order (transport.hpp), so the k-th send pairs with the k-th receive.
  std::uint32_t sequence = 0;
  std::uint32_t step = 0;  // index into Tracer::steps()
  bool send = true;
};

// One rank's recording: at most `limit` events, the rest counted as dropped.
class Tracer {
 public:
  static constexpr std::size_t kDefaultLimit = 1000000;

  Tracer(int rank, int size, std::size_t limit = kDefaultLimit);

  // A new traced step of `algorithm`: its rounds count from 0. Every rank begins the same steps in
  // the same order, so the step indices agree across ranks.
  void beginStep(std::string_view algorithm);

  // The transport's hooks. posted returns the event's index, or -1 when it was dropped.
  std::int64_t posted(bool send, std::uint64_t bytes, int peer, int tag, double now);
  void completed(std::int64_t index, double now) {
    if (index >= 0) events_[static_cast<std::size_t>(index)].end = now;
  }
  void waited() { ++round_; }

  // On rank 0: one reading of every rank's clock (`local`) with the time on rank 0's clock it
  // was taken at (`reference`), and the most any of them may be off (estimateClockOffsets). The
  // first two samples map each rank's times onto rank 0's clock: one gives an offset, two a line
  // through both (clocks of different processes also run at slightly different rates). None:
  // every rank's clock is rank 0's.
  struct ClockSample {
    double local = 0;
    double reference = 0;
  };
  void addClockSamples(std::vector<ClockSample> perRank, double errorBound) {
    if (clockSamples_.size() < 2) clockSamples_.push_back(std::move(perRank));
    offsetError_ = std::max(offsetError_, errorBound);
  }
  // Rank `rank`'s time t on rank 0's clock.
  double onReferenceClock(int rank, double t) const;

  int rank() const { return rank_; }
  std::size_t limit() const { return limit_; }
  std::uint64_t dropped() const { return dropped_; }
  bool clocksAligned() const { return !clockSamples_.empty(); }
  double clockError() const { return offsetError_; }
  const std::vector<TraceEvent>& events() const { return events_; }
  const std::vector<std::string>& steps() const { return steps_; }

 private:
  int rank_;
  std::size_t limit_;
  std::vector<TraceEvent> events_;
  std::vector<std::string> steps_;
  std::vector<std::uint32_t> sent_, received_;  // per peer, sequence numbers handed out
  std::uint64_t dropped_ = 0;
  std::int32_t round_ = 0;
  std::vector<std::vector<ClockSample>> clockSamples_;  // [sample][rank]
  double offsetError_ = 0;
};

// Collective. Samples every rank's clock against rank 0's and adds the sample to rank 0's
// `tracer`; called at the start and again at the end of a traced run.
// Each of `rounds` samples brackets every rank's reading of its clock between two readings of
// rank 0's (a barrier, which no rank leaves before rank 0 entered it, then an allgather of the
// readings, which rank 0 does not leave before every rank entered it); the sample with the
// narrowest bracket gives offset = bracket midpoint - the rank's reading, wrong by at most half
// the bracket. Ranks that share one clock (Transport::sharedClock: threads, SMPI's simulated
// clock) need none.
void estimateClockOffsets(Transport& transport, Tracer& tracer, int rounds = 50);

// What the trace file says about the run besides its events.
struct TraceSummary {
  std::uint64_t events = 0;   // send and receive events written
  std::uint64_t dropped = 0;  // beyond the limit, over all ranks
  bool truncated() const { return dropped > 0; }
};

// Collective. Gathers every rank's events and host name to rank 0, which returns the Chrome trace
// document (other ranks return an empty string). Times are microseconds on rank 0's clock from the
// earliest event.
std::string gatherTrace(Transport& transport, const Tracer& tracer, const std::string& host,
                        TraceSummary* summary = nullptr);

// The one line for stderr when events were left out, naming the limit.
std::string truncationNote(const TraceSummary& summary, std::size_t limit);

}  // namespace commsim
