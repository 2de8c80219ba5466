#include "core/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace commsim {

namespace {
thread_local ProgressSlot* tlsSlot = nullptr;
}  // namespace

namespace progress {

void attach(ProgressSlot* slot) { tlsSlot = slot; }
ProgressSlot* current() { return tlsSlot; }

void enter(const char* phase, std::string_view detail, bool waitsOnPeers) {
  ProgressSlot* s = tlsSlot;
  if (!s) return;
  s->phase.store(phase, std::memory_order_relaxed);
  s->detail.store(detail.data(), std::memory_order_relaxed);
  s->detailSize.store(detail.size(), std::memory_order_relaxed);
  s->waiting.store(waitsOnPeers, std::memory_order_relaxed);
  s->ticks.store(s->ticks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void finish() {
  if (ProgressSlot* s = tlsSlot) s->finished.store(true, std::memory_order_relaxed);
}

}  // namespace progress

std::string describeStall(int rank, const ProgressSlot& slot, double seconds) {
  char figure[32];
  std::snprintf(figure, sizeof figure, "%g", seconds);
  std::string text = "rank " + std::to_string(rank) + ": no progress for " + figure + " s in ";
  const char* detail = slot.detail.load(std::memory_order_relaxed);
  const std::size_t size = slot.detailSize.load(std::memory_order_relaxed);
  if (detail && size) text += std::string(detail, size) + " ";
  text += slot.phase.load(std::memory_order_relaxed);
  text += slot.waiting.load(std::memory_order_relaxed) ? " (waiting on peers)" : " (busy on this rank)";
  return text;
}

Watchdog::Watchdog(int slots, int firstRank, double timeoutSeconds,
                   std::function<void(const std::string&)> onStall)
    : slots_(static_cast<std::size_t>(std::max(slots, 1))),
      firstRank_(firstRank),
      timeout_(timeoutSeconds),
      onStall_(std::move(onStall)),
      thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void Watchdog::watch() {
  using Clock = std::chrono::steady_clock;
  const auto timeout = std::chrono::duration<double>(timeout_);
  // Looking a few times per timeout keeps the overrun small; never busier than 100 times a second.
  const auto interval = std::clamp(std::chrono::duration_cast<Clock::duration>(timeout / 4),
                                   Clock::duration(std::chrono::milliseconds(10)),
                                   Clock::duration(std::chrono::seconds(1)));
  // Woken this much later than asked, the process itself was not running: stopped (SIGSTOP, a
  // debugger), or the machine suspended. The clock ran on, the ranks did not; the peers are not
  // to blame for that time, so every rank gets its whole timeout again from the wake-up.
  const auto late = interval + std::max(Clock::duration(std::chrono::seconds(1)),
                                        std::chrono::duration_cast<Clock::duration>(timeout / 2));
  std::vector<std::uint64_t> seen(slots_.size());
  std::vector<Clock::time_point> since(slots_.size(), Clock::now());
  auto last = Clock::now();
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, interval, [this] { return stopping_; })) {
    const auto now = Clock::now();
    if (now - last > late) std::fill(since.begin(), since.end(), now);
    last = now;
    // A rank busy on its own is the likelier culprit than the peers waiting for it: name it first.
    int stalled = -1;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].finished.load(std::memory_order_relaxed)) continue;
      const std::uint64_t ticks = slots_[i].ticks.load(std::memory_order_relaxed);
      if (ticks != seen[i]) {
        seen[i] = ticks;
        since[i] = now;
        continue;
      }
      if (now - since[i] < timeout) continue;
      const bool waiting = slots_[i].waiting.load(std::memory_order_relaxed);
      if (stalled < 0 || (!waiting && slots_[static_cast<std::size_t>(stalled)].waiting.load(
                                          std::memory_order_relaxed)))
        stalled = static_cast<int>(i);
    }
    if (stalled >= 0) {
      lock.unlock();
      onStall_(describeStall(firstRank_ + stalled, slots_[static_cast<std::size_t>(stalled)], timeout_));
      return;
    }
  }
}

}  // namespace commsim
