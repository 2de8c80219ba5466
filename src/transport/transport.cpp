// The counting point: every message of every paradigm on every transport passes through here.
#include "commsim/transport.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "commsim/baseline.hpp"
#include "commsim/error.hpp"
#include "commsim/trace.hpp"
#include "core/progress.hpp"

namespace commsim {

void Counters::recordSend(std::uint64_t bytes) {
  ++messagesSent;
  bytesSent += bytes;
  if (bytes == 0) ++emptySent;
  minMessageBytes = std::min(minMessageBytes, bytes);
  maxMessageBytes = std::max(maxMessageBytes, bytes);
}

void Counters::recordReceive(std::uint64_t bytes) {
  ++messagesReceived;
  bytesReceived += bytes;
}

BaselineOffer Transport::libraryAllreduce(const MemorySpace& /*memory*/,
                                          const Layout& /*layout*/) {
  return {};
}

void Transport::libraryAllreduceSum(const void* /*send*/, void* /*recv*/, std::uint64_t /*count*/,
                                    DType /*dtype*/) {
  throw UsageError("baseline: the " + std::string(name()) +
                   " transport offers no library all-reduce outside a step");
}

void Transport::compute(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

double Transport::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Request Transport::isend(const void* buf, std::size_t bytes, int peer, int tag) {
  COMMSIM_ENFORCE(peer >= 0 && peer < size() && peer != rank(),
                  "rank " << rank() << " cannot send to peer " << peer);
  const double posted = tracer_ ? now() : 0;
  if (watch_) watch_->sending(buf, bytes, peer);
  Request r = postSend(buf, bytes, peer, tag);
  if (counting_) counters_.recordSend(bytes);
  if (tracer_) r.state()->traceIndex = tracer_->posted(true, bytes, peer, tag, posted);
  return r;
}

Request Transport::irecv(void* buf, std::size_t bytes, int peer, int tag) {
  COMMSIM_ENFORCE(peer >= 0 && peer < size() && peer != rank(),
                  "rank " << rank() << " cannot receive from peer " << peer);
  const double posted = tracer_ ? now() : 0;
  if (watch_) watch_->receiving(buf, bytes);
  Request r = postRecv(buf, bytes, peer, tag);
  r.state()->isReceive = true;
  r.state()->peer = peer;
  if (tracer_) r.state()->traceIndex = tracer_->posted(false, bytes, peer, tag, posted);
  return r;
}

void Transport::waitAll(std::span<Request> requests) {
  const double begin = timingWaits_ ? now() : 0;
  {
    const progress::Waiting waiting;  // a completed wait is progress for the watchdog
    complete(requests);
  }
  const double completed = tracer_ || timingWaits_ ? now() : 0;
  if (timingWaits_) waitSeconds_ += completed - begin;
  for (Request& r : requests) {
    if (!r.active()) continue;
    if (counting_ && r.state()->isReceive) counters_.recordReceive(r.state()->receivedBytes);
    if (tracer_) tracer_->completed(r.state()->traceIndex, completed);
    if (watch_ && r.state()->isReceive) watch_->received(r.state()->peer, r.state()->receivedBytes);
    r.clear();
  }
  if (tracer_) tracer_->waited();
}

Counters Transport::globalCounters() {
  std::uint64_t sums[] = {counters_.messagesSent, counters_.bytesSent, counters_.emptySent,
                          counters_.messagesReceived, counters_.bytesReceived};
  // A rank that sent nothing reports neutral elements for min and max.
  std::uint64_t lo[] = {counters_.minMessageBytes};
  std::uint64_t hi[] = {counters_.maxMessageBytes};
  allreduce(sums, ReduceOp::Sum);
  allreduce(lo, ReduceOp::Min);
  allreduce(hi, ReduceOp::Max);
  Counters g;
  g.messagesSent = sums[0];
  g.bytesSent = sums[1];
  g.emptySent = sums[2];
  g.messagesReceived = sums[3];
  g.bytesReceived = sums[4];
  g.minMessageBytes = g.messagesSent ? lo[0] : 0;
  g.maxMessageBytes = hi[0];
  return g;
}

}  // namespace commsim
