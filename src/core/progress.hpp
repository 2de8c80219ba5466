// Bounded failure (SPEC §7): a rank whose peers died or whose network went away must not wait
// forever. Each rank marks its progress here; a watchdog thread ends the job when a rank has made
// none for the configured time, naming the rank and what it was waiting for.
//
// The harness names the phase a rank is in (progress::enter) and the transport ticks whenever a
// wait completes (progress::Waiting). Both are relaxed atomic stores into the calling thread's
// slot, and no-ops on a thread without one, so the hot path pays nothing measurable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace commsim {

// What one rank last reported. Written by the rank's thread, read by the watchdog.
struct ProgressSlot {
  std::atomic<std::uint64_t> ticks{0};
  std::atomic<const char*> phase{"starting"};
  // Detail of the phase (a paradigm's name); must outlive the run.
  std::atomic<const char*> detail{nullptr};
  std::atomic<std::size_t> detailSize{0};
  std::atomic<bool> waiting{false};  // inside a transport wait: blocked on peers
  std::atomic<bool> finished{false};  // the rank is done; nothing more to watch
};

namespace progress {

// Makes `slot` (or none) the one this thread's marks go to.
void attach(ProgressSlot* slot);
ProgressSlot* current();

// This rank entered `phase` (a string literal), e.g. enter("step", paradigm.name()). Counts as
// progress. `waitsOnPeers` says the phase is a collective of the control plane.
void enter(const char* phase, std::string_view detail = {}, bool waitsOnPeers = false);

// This rank has finished its work: the watchdog stops watching it.
void finish();

// Marks a transport wait: the rank is blocked on peers until the wait completes, which is progress.
class Waiting {
 public:
  Waiting() : slot_(current()) {
    if (slot_) slot_->waiting.store(true, std::memory_order_relaxed);
  }
  ~Waiting() {
    if (!slot_) return;
    slot_->ticks.store(slot_->ticks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    slot_->waiting.store(false, std::memory_order_relaxed);
  }
  Waiting(const Waiting&) = delete;
  Waiting& operator=(const Waiting&) = delete;

 private:
  ProgressSlot* slot_;
};

}  // namespace progress

// Watches the slots of the ranks of this process (one under MPI, all of them in-process). When
// one shows no progress for `timeoutSeconds`, calls onStall once, from the watchdog's thread,
// with a line like "rank 2: no progress for 30 s in ring-allreduce step (waiting on peers)".
// onStall is expected to end the job; the watchdog stops watching after calling it.
class Watchdog {
 public:
  Watchdog(int slots, int firstRank, double timeoutSeconds,
           std::function<void(const std::string&)> onStall);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The slot of rank firstRank + index.
  ProgressSlot& slot(int index) { return slots_[static_cast<std::size_t>(index)]; }
  double timeoutSeconds() const { return timeout_; }

 private:
  void watch();

  std::vector<ProgressSlot> slots_;
  int firstRank_;
  double timeout_;
  std::function<void(const std::string&)> onStall_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

// "rank 2: no progress for 30 s in ring-allreduce step (waiting on peers)", from a slot.
std::string describeStall(int rank, const ProgressSlot& slot, double seconds);

}  // namespace commsim
