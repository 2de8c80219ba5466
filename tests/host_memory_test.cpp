// Host memory's buffers of 2 MiB and more: kept when released and handed out again, so that a
// run gives nothing back to the kernel between its measurements (src/memory/host_memory.cpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "commsim/memory.hpp"

namespace commsim {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

TEST(HostMemory, AReleasedLargeBufferServesTheNextThatFits) {
  MemorySpace& m = hostMemory();
  void* p = m.allocate(8 * kMiB);
  std::memset(p, 1, 8 * kMiB);
  m.release(p);
  void* q = m.allocate(5 * kMiB);  // fits in the kept 8 MiB
  EXPECT_EQ(q, p);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % (2 * kMiB), 0u) << "huge-page aligned";
  std::memset(q, 2, 5 * kMiB);
  m.release(q);
  m.release(nullptr);  // as free(nullptr): nothing
}

TEST(HostMemory, TheSmallestKeptBufferThatFitsIsTaken) {
  MemorySpace& m = hostMemory();
  void* big = m.allocate(32 * kMiB);
  void* small = m.allocate(4 * kMiB);
  m.release(big);
  m.release(small);
  void* a = m.allocate(3 * kMiB);  // both fit: the 4 MiB one
  void* b = m.allocate(3 * kMiB);  // then the 32 MiB one
  EXPECT_EQ(a, small);
  EXPECT_EQ(b, big);
  void* c = m.allocate(3 * kMiB);  // none kept: a new one, usable
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  std::memset(c, 3, 3 * kMiB);
  for (void* p : {a, b, c}) m.release(p);
  // A request larger than every kept buffer: a new one, whole (the kept ones go back first).
  void* d = m.allocate(64 * kMiB);
  std::memset(d, 4, 64 * kMiB);
  m.release(d);
}

TEST(HostMemory, SmallBuffersAreOrdinaryAllocations) {
  MemorySpace& m = hostMemory();
  void* p = m.allocate(64 * 1024);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 4096, 0u) << "page aligned";
  std::memset(p, 5, 64 * 1024);
  m.release(p);
}

}  // namespace
}  // namespace commsim
