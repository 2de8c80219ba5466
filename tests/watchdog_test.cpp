// The watchdog on its own: a rank that stops making progress is named with its phase, within a
// bounded time; a rank that keeps making progress, or has finished, never is.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "core/progress.hpp"

namespace commsim {
namespace {

using namespace std::chrono_literals;

// Collects the first stall line, if any.
struct Stalls {
  std::promise<std::string> line;
  std::future<std::string> next = line.get_future();
  std::atomic<int> calls{0};
  std::function<void(const std::string&)> callback() {
    return [this](const std::string& l) {
      if (calls++ == 0) line.set_value(l);
    };
  }
};

TEST(Watchdog, NamesTheRankAndPhaseThatStalled) {
  Stalls stalls;
  Watchdog dog(2, 5, 0.2, stalls.callback());
  const auto start = std::chrono::steady_clock::now();
  std::thread([&] {
    progress::attach(&dog.slot(0));
    progress::finish();  // rank 5 is done and must not be blamed
  }).join();
  std::thread([&] {
    progress::attach(&dog.slot(1));
    progress::enter("step", "ring-allreduce");
    const progress::Waiting waiting;
    ASSERT_EQ(stalls.next.wait_for(5s), std::future_status::ready);
  }).join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(stalls.next.get(), "rank 6: no progress for 0.2 s in ring-allreduce step (waiting on peers)");
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);  // timeout plus at most a check interval, with slack for a busy machine
}

TEST(Watchdog, BlamesTheBusyRankBeforeTheRanksWaitingForIt) {
  Stalls stalls;
  Watchdog dog(3, 0, 0.1, stalls.callback());
  std::vector<std::thread> ranks;
  for (int r = 0; r < 3; ++r)
    ranks.emplace_back([&, r] {
      progress::attach(&dog.slot(r));
      progress::enter(r == 1 ? "step setup" : "step start barrier", "all-to-all", r != 1);
      stalls.next.wait();
    });
  for (auto& t : ranks) t.join();
  EXPECT_EQ(stalls.next.get(), "rank 1: no progress for 0.1 s in all-to-all step setup (busy on this rank)");
}

TEST(Watchdog, ProgressKeepsItQuiet) {
  Stalls stalls;
  {
    Watchdog dog(1, 0, 0.15, stalls.callback());
    std::thread([&] {
      progress::attach(&dog.slot(0));
      for (int i = 0; i < 40; ++i) {  // 0.8 s of completed waits, one every 20 ms
        const progress::Waiting waiting;
        std::this_thread::sleep_for(20ms);
      }
      progress::finish();
    }).join();
    std::this_thread::sleep_for(400ms);  // finished: no longer watched
  }
  EXPECT_EQ(stalls.calls.load(), 0);
}

// A process that was itself stopped does not blame its peers for the time it did not run: after
// SIGCONT its rank gets the whole timeout again (before, it reported at once "no progress ...
// (waiting on peers)" although it was the frozen one). Run in a child, which the test stops.
TEST(Watchdog, TimeThisProcessWasStoppedIsNotCounted) {
  constexpr double kTimeout = 1.0;
  int pipeFds[2];
  ASSERT_EQ(pipe(pipeFds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipeFds[0]);
    Watchdog dog(1, 0, kTimeout, [&](const std::string&) {
      (void)!write(pipeFds[1], "S", 1);
      _exit(0);
    });
    progress::attach(&dog.slot(0));
    progress::enter("step", "ring-allreduce");
    const progress::Waiting waiting;
    (void)!write(pipeFds[1], "R", 1);
    std::this_thread::sleep_for(60s);
    _exit(1);
  }
  close(pipeFds[1]);
  auto readByte = [&](int timeoutMs) {
    pollfd p{pipeFds[0], POLLIN, 0};
    char c = 0;
    return poll(&p, 1, timeoutMs) == 1 && read(pipeFds[0], &c, 1) == 1 ? c : '\0';
  };
  ASSERT_EQ(readByte(10000), 'R');
  std::this_thread::sleep_for(600ms);  // the watchdog has seen the rank's last mark by then
  kill(child, SIGSTOP);
  std::this_thread::sleep_for(3s);  // three timeouts, frozen
  const auto resumed = std::chrono::steady_clock::now();
  kill(child, SIGCONT);
  const char reported = readByte(10000);
  const auto after = std::chrono::steady_clock::now() - resumed;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(pipeFds[0]);
  ASSERT_EQ(reported, 'S') << "the watchdog never reported the rank that really stalled";
  // The whole timeout after the resume (less a check interval of slack), not at once.
  EXPECT_GE(after, 700ms) << std::chrono::duration<double>(after).count() << " s";
  EXPECT_LT(after, 5s);
}

TEST(Watchdog, MarksWithoutASlotDoNothing) {
  progress::attach(nullptr);
  progress::enter("step", "all-to-all");
  { const progress::Waiting waiting; }
  progress::finish();
  EXPECT_EQ(progress::current(), nullptr);
}

}  // namespace
}  // namespace commsim
