#include "commsim/harness.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "commsim/error.hpp"
#include "commsim/trace.hpp"
#include "core/progress.hpp"

namespace commsim {

namespace {

constexpr double kPoison = -999.0;
// Device buffers are filled and read through host staging of this many elements at a time.
constexpr std::uint64_t kStagingElements = std::uint64_t{1} << 20;

// Round-to-nearest-even conversions for the 16-bit types; the values used are small integers and
// halves, but the conversions are exact IEEE either way.
std::uint16_t toBFloat16(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}
float fromBFloat16(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t{h} << 16); }

void encode(double v, DType t, std::byte* at) {
  switch (t) {
    case DType::Float32: { const auto f = static_cast<float>(v); std::memcpy(at, &f, 4); return; }
    case DType::Float64: std::memcpy(at, &v, 8); return;
    case DType::Float16: { const auto h = static_cast<_Float16>(v); std::memcpy(at, &h, 2); return; }
    case DType::BFloat16: {
      const auto h = toBFloat16(static_cast<float>(v));
      std::memcpy(at, &h, 2);
      return;
    }
  }
}

double decode(DType t, const std::byte* at) {
  switch (t) {
    case DType::Float32: { float f; std::memcpy(&f, at, 4); return f; }
    case DType::Float64: { double d; std::memcpy(&d, at, 8); return d; }
    case DType::Float16: { _Float16 h; std::memcpy(&h, at, 2); return static_cast<double>(h); }
    case DType::BFloat16: { std::uint16_t h; std::memcpy(&h, at, 2); return fromBFloat16(h); }
  }
  return 0;
}

// The value as the dtype holds it.
double representable(double v, DType t) {
  std::byte tmp[8];
  encode(v, t, tmp);
  return decode(t, tmp);
}

// Writes value(i) for i in [offset, offset+count) of a buffer in `memory`.
template <typename F>
void fill(MemorySpace& memory, void* base, std::uint64_t offset, std::uint64_t count, DType t,
          F value) {
  const std::size_t s = elementBytes(t);
  auto* dst = static_cast<std::byte*>(base) + offset * s;
  if (!memory.isDevice()) {
    for (std::uint64_t i = 0; i < count; ++i) encode(value(offset + i), t, dst + i * s);
    return;
  }
  std::vector<std::byte> staging(std::min(count, kStagingElements) * s);
  for (std::uint64_t done = 0; done < count;) {
    const auto n = std::min(count - done, kStagingElements);
    for (std::uint64_t i = 0; i < n; ++i) encode(value(offset + done + i), t, &staging[i * s]);
    memory.fromHost(dst + done * s, staging.data(), n * s);
    done += n;
  }
}

template <typename F>
std::uint64_t mismatches(MemorySpace& memory, const void* base, std::uint64_t offset,
                         std::uint64_t count, DType t, F expected) {
  const std::size_t s = elementBytes(t);
  const auto* src = static_cast<const std::byte*>(base) + offset * s;
  std::uint64_t wrong = 0;
  auto compare = [&](const std::byte* data, std::uint64_t first, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i)
      if (decode(t, data + i * s) != representable(expected(offset + first + i), t)) ++wrong;
  };
  if (!memory.isDevice()) {
    compare(src, 0, count);
    return wrong;
  }
  memory.synchronize();
  std::vector<std::byte> staging(std::min(count, kStagingElements) * s);
  for (std::uint64_t done = 0; done < count;) {
    const auto n = std::min(count - done, kStagingElements);
    memory.toHost(staging.data(), src + done * s, n * s);
    compare(staging.data(), done, n);
    done += n;
  }
  return wrong;
}

}  // namespace

double gradientValue(int rank, int workers, std::uint64_t i) {
  return meanValue(i) + 2.0 * rank - (workers - 1.0);
}
double meanValue(std::uint64_t i) { return static_cast<double>(1 + (i * 7) % 13); }
double initialParameter(std::uint64_t i) { return static_cast<double>(16 + i % 32); }
double updatedParameter(std::uint64_t i, double lr) {
  return initialParameter(i) - lr * meanValue(i);
}

StepBuffers::StepBuffers(MemorySpace& memory, std::uint64_t count, DType dtype)
    : StepBuffers(memory, count, count, dtype) {}

StepBuffers::StepBuffers(MemorySpace& memory, std::uint64_t count, std::uint64_t scratchCount,
                         DType dtype)
    : grad(memory, count * elementBytes(dtype)),
      out(memory, count * elementBytes(dtype)),
      scratch(memory, scratchCount * elementBytes(dtype)) {}

void prepareStep(const Paradigm& paradigm, const Layout& layout, int rank, StepBuffers& b,
                 std::uint64_t count, DType dtype, double /*lr*/) {
  MemorySpace& m = b.grad.space();
  if (layout.isWorker(rank)) {
    const int n = layout.workers;
    fill(m, b.grad.data(), 0, count, dtype, [&](std::uint64_t i) { return gradientValue(rank, n, i); });
  }
  if (paradigm.ownsParameters(layout, rank)) {
    fill(m, b.out.data(), 0, count, dtype, initialParameter);
  } else {
    fill(m, b.out.data(), 0, count, dtype, [](std::uint64_t) { return kPoison; });
  }
  m.synchronize();
}

std::uint64_t countWrong(const Paradigm& paradigm, const Layout& layout, int rank,
                         const StepBuffers& b, std::uint64_t count, DType dtype, double lr) {
  return countWrongIn(paradigm, layout, rank, b, 0, count, dtype, lr);
}

std::uint64_t countWrongIn(const Paradigm& paradigm, const Layout& layout, int rank,
                           const StepBuffers& b, std::uint64_t first, std::uint64_t count,
                           DType dtype, double lr) {
  const auto [within, n] = paradigm.checkedRange(layout, rank, count);
  const std::uint64_t offset = first + within;
  if (paradigm.outcome() == Outcome::Mean)
    return mismatches(b.out.space(), b.out.data(), offset, n, dtype, meanValue);
  return mismatches(b.out.space(), b.out.data(), offset, n, dtype,
                    [lr](std::uint64_t i) { return updatedParameter(i, lr); });
}

StepContext makeContext(Transport& transport, MemorySpace& memory, const Layout& layout,
                        StepBuffers& b, std::uint64_t count, DType dtype, double lr) {
  return StepContext{transport, memory,       layout,          dtype, count, lr,
                     b.grad.data(), b.out.data(), b.scratch.data()};
}

bool countsMatch(const Counters& c, const Expectation& e, std::uint64_t steps) {
  if (!e.counted) return c.messagesSent == 0 && c.messagesReceived == 0;
  return c.messagesSent == steps * e.messages && c.bytesSent == steps * e.totalBytes &&
         c.minMessageBytes == e.minMessageBytes && c.maxMessageBytes == e.maxMessageBytes &&
         c.emptySent == steps * e.emptyMessages && c.messagesReceived == c.messagesSent &&
         c.bytesReceived == c.bytesSent;
}

StepDelay parseStepDelay(const std::string& text) {
  constexpr double kMostSeconds = 3600;
  const auto bad = [&] {
    return UsageError("delay-rank: '" + printable(text) + "' is not allowed (allowed: RANK:SECONDS, "
                      "a rank and a delay of 0 to 3600 seconds as digits with an optional "
                      "fraction, e.g. 2:0.001)");
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) throw bad();
  const std::string rank = text.substr(0, colon), seconds = text.substr(colon + 1);
  const auto digits = [](const std::string& d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string::npos;
  };
  const std::size_t dot = seconds.find('.');
  const std::string whole = seconds.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "0" : seconds.substr(dot + 1);
  if (!digits(rank) || rank.size() > 7 || !digits(whole) || whole.size() > 4 || !digits(fraction))
    throw bad();
  StepDelay d{std::stoi(rank), std::stod(whole + "." + fraction)};
  if (d.seconds > kMostSeconds) throw bad();
  return d;
}

void ensureDelayedRankExists(const StepDelay& delay, int worldSize) {
  if (delay.rank >= worldSize)
    throw UsageError("delay-rank: rank " + std::to_string(delay.rank) + " is not in this run (allowed: 0 to " +
                     std::to_string(worldSize - 1) + ")");
}

void runStep(const Paradigm& paradigm, StepContext& ctx, const StepDelay& delay) {
  if (delay.rank == ctx.transport.rank() && delay.seconds > 0) ctx.transport.compute(delay.seconds);
  paradigm.run(ctx);
}

StepResult runCheckedStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, std::uint64_t count, DType dtype, double lr,
                          ValueCheck check, const StepDelay& delay) {
  progress::enter("step setup", paradigm.name());
  StepBuffers buffers(memory, count, dtype);
  return runCheckedStep(paradigm, transport, memory, layout, buffers, count, dtype, lr, check,
                        delay);
}

StepResult runCheckedStep(const Paradigm& paradigm, Transport& transport, MemorySpace& memory,
                          const Layout& layout, StepBuffers& buffers, std::uint64_t count,
                          DType dtype, double lr, ValueCheck check, const StepDelay& delay) {
  const int rank = transport.rank();
  const bool exact = check == ValueCheck::Exact;
  if (exact) prepareStep(paradigm, layout, rank, buffers, count, dtype, lr);
  StepContext ctx = makeContext(transport, memory, layout, buffers, count, dtype, lr);

  transport.resetCounters();
  if (Tracer* tracer = transport.tracer()) tracer->beginStep(paradigm.name());
  progress::enter("step start barrier", paradigm.name(), true);
  transport.barrier();
  progress::enter("step", paradigm.name());
  const double start = transport.now();
  runStep(paradigm, ctx, delay);
  memory.synchronize();
  const double elapsed = transport.now() - start;

  progress::enter("step check (counters and result)", paradigm.name(), true);
  StepResult result;
  result.counters = transport.globalCounters();
  result.expected = paradigm.expect(layout, count, elementBytes(dtype));
  double time[] = {elapsed};
  transport.allreduce(time, ReduceOp::Max);
  result.timeSeconds = time[0];
  result.valuesChecked = exact;
  std::uint64_t wrong[] = {exact ? countWrong(paradigm, layout, rank, buffers, count, dtype, lr) : 0};
  transport.allreduce(wrong, ReduceOp::Sum);
  result.wrong = wrong[0];
  return result;
}

Layout layoutFor(int worldSize, const std::vector<const Paradigm*>& paradigms) {
  int servers = 0;
  for (const Paradigm* p : paradigms) servers = std::max(servers, p->dedicatedServers());
  if (worldSize - servers < 1)
    throw UsageError("ranks: " + std::to_string(worldSize) + " rank(s) leave no worker beside " +
                     std::to_string(servers) + " dedicated server rank(s) (need at least " +
                     std::to_string(servers + 1) + ")");
  return Layout{worldSize, worldSize - servers, servers};
}

int placedWorkersPerHost(Transport& t, int workers, std::uint64_t hostId) {
  const std::uint64_t mine[] = {hostId};
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(t.size()));
  t.allgather(mine, ids);
  ids.resize(static_cast<std::size_t>(workers));
  std::size_t g = 1;
  while (g < ids.size() && ids[g] == ids[0]) ++g;
  if (ids.size() % g != 0) return 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::size_t block = i / g * g;
    if (ids[i] != ids[block]) return 0;
    if (block > 0 && i == block && ids[i] == ids[block - 1]) return 0;  // a longer run
  }
  return static_cast<int>(g);
}

namespace {
std::uint64_t availableHostMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;  // unknown: do not refuse on a guess
}
}  // namespace

void ensureFitsInMemory(Transport& transport, MemorySpace& memory, std::uint64_t count,
                        DType dtype, std::string_view what) {
  const std::uint64_t s = elementBytes(dtype);
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 62;
  const bool overflows = count > kLimit / (3 * s);
  const std::uint64_t perRank = overflows ? kLimit : 3 * count * s;
  // Host memory is shared by the ranks of a host; device memory reports this rank's own share.
  const bool device = memory.isDevice();
  const std::uint64_t sharing = device ? 1 : static_cast<std::uint64_t>(transport.localSize());
  const std::uint64_t available = device ? memory.availableBytes() : availableHostMemory();
  // The host's ranks together, saturating at kLimit (no host has 2^62 bytes): unchecked, 8 ranks
  // of 2^61 bytes each wrapped around to 32 bytes, which fit.
  const bool totalOverflows = overflows || perRank > kLimit / sharing;
  const std::uint64_t needed = totalOverflows ? kLimit : perRank * sharing;
  std::uint64_t refuse[] = {overflows || (available && needed > available) ? 1u : 0u};
  progress::enter("agreeing that the buffers fit in memory", {}, true);
  transport.allreduce(refuse, ReduceOp::Max);
  if (!refuse[0]) return;
  const std::string p = std::string(what) + ": " + std::to_string(count);
  if (overflows)
    throw UsageError(p + " elements of " + std::to_string(s) +
                     " bytes are too many to address (3*p*s bytes per rank overflow)");
  // Each rank knows only its own host or GPU: the message gives this rank's figures.
  if (device)
    throw UsageError(p + " elements need 3*p*s = " + std::to_string(perRank) +
                     " bytes of device memory per rank, more than some rank's share of its GPU's "
                     "free memory (rank " + std::to_string(transport.rank()) + ": " +
                     std::to_string(available) + " bytes)");
  throw UsageError(p + " elements need 3*p*s = " + std::to_string(perRank) +
                   " bytes per rank, " + (totalOverflows ? "at least " : "") +
                   std::to_string(needed) + " bytes for the " +
                   std::to_string(sharing) + " rank(s) of this host, but only " +
                   std::to_string(available) + " bytes are available");
}

int maxExactWorkers(DType dtype) {
  const double limit = [&] {
    switch (dtype) {
      case DType::BFloat16: return 256.0;     // 2^8
      case DType::Float16: return 2048.0;     // 2^11
      case DType::Float32: return 16777216.0; // 2^24
      case DType::Float64: return 9007199254740992.0;
    }
    return 0.0;
  }();
  int n = 1;
  while (n < (1 << 20) && (n + 1.0) * (n + 1.0 + 12.0) <= limit) ++n;
  return n;
}

void ensureExactInputs(const Layout& layout, DType dtype) {
  const int most = maxExactWorkers(dtype);
  if (layout.workers > most)
    throw UsageError("dtype: " + std::string(dtypeName(dtype)) + " holds the check's sums exactly "
                     "for at most " + std::to_string(most) + " workers, and this run has " +
                     std::to_string(layout.workers) + " (use float32 or fewer ranks)");
}

void ensureRanksAgree(Transport& transport, std::span<const std::uint64_t> values,
                      std::span<const char* const> what, const ShowValue& show) {
  COMMSIM_ENFORCE_EQ(values.size(), what.size(), "one name per value");
  std::vector<std::uint64_t> all(values.size() * transport.size());
  progress::enter("agreeing on the options with every rank", {}, true);
  transport.allgather(values, all);
  for (int r = 1; r < transport.size(); ++r) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto theirs = all[r * values.size() + i];
      if (theirs == all[i]) continue;
      const auto text = [&](std::uint64_t v) { return show ? show(i, v) : std::to_string(v); };
      throw UsageError("ranks disagree before any data moved: rank " + std::to_string(r) +
                       " has " + what[i] + " = " + text(theirs) + ", rank 0 has " +
                       text(all[i]) + " (every rank must be given the same options)");
    }
  }
}

}  // namespace commsim
