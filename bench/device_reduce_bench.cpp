// The device reduce kernel against a device-to-device copy of the same bytes.
//
// Both are memory-bound, so both are measured in the memory traffic they cause: a copy of N bytes
// reads N and writes N (2N), an add of N bytes reads both operands and writes one (3N). The target
// (issue 4): the float32 add at 256 MiB moves at least 0.8x the copy's traffic per second.
// Counters: traffic_GBps (10^9 B/s of reads plus writes), payload_GBps (N / time).
// Timed after stream synchronisation, 10 operations per iteration, so launch latency is averaged.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "commsim/device.hpp"
#include "commsim/memory.hpp"

namespace {

using namespace commsim;

constexpr int kOperationsPerIteration = 10;

enum class Kind { Copy, Add };

void run(benchmark::State& state, Kind kind, DType dtype) {
  if (const std::string why = cudaUnavailableReason(); !why.empty()) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const std::size_t count = bytes / elementBytes(dtype);
  auto memory = makeDeviceMemory(0);
  Buffer a(*memory, bytes), b(*memory, bytes);
  const std::vector<std::byte> zeros(bytes);  // zeros stay zeros under repeated adds
  memory->fromHost(a.data(), zeros.data(), bytes);
  memory->fromHost(b.data(), zeros.data(), bytes);
  auto once = [&] {
    if (kind == Kind::Copy) memory->copy(a.data(), b.data(), bytes);
    else memory->add(a.data(), b.data(), count, dtype);
  };
  once();  // warm-up: first launch, clocks
  memory->synchronize();
  double total = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kOperationsPerIteration; ++i) once();
    memory->synchronize();
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
    const double each = t.count() / kOperationsPerIteration;
    state.SetIterationTime(each);
    total += each;
  }
  const double per = total / static_cast<double>(state.iterations());
  const double traffic = static_cast<double>(bytes) * (kind == Kind::Copy ? 2 : 3);
  state.counters["traffic_GBps"] = traffic / per / 1e9;
  state.counters["payload_GBps"] = static_cast<double>(bytes) / per / 1e9;
  state.counters["bytes"] = static_cast<double>(bytes);
}

constexpr std::int64_t kMiB = 1 << 20;

void copyBytes(benchmark::State& s) { run(s, Kind::Copy, DType::Float32); }
void addFloat32(benchmark::State& s) { run(s, Kind::Add, DType::Float32); }
void addFloat64(benchmark::State& s) { run(s, Kind::Add, DType::Float64); }
void addFloat16(benchmark::State& s) { run(s, Kind::Add, DType::Float16); }
void addBFloat16(benchmark::State& s) { run(s, Kind::Add, DType::BFloat16); }

BENCHMARK(copyBytes)->Name("d2d_copy")->Arg(kMiB)->Arg(16 * kMiB)->Arg(256 * kMiB)->UseManualTime();
BENCHMARK(addFloat32)->Name("add_float32")->Arg(kMiB)->Arg(16 * kMiB)->Arg(256 * kMiB)->UseManualTime();
BENCHMARK(addFloat64)->Name("add_float64")->Arg(256 * kMiB)->UseManualTime();
BENCHMARK(addFloat16)->Name("add_float16")->Arg(256 * kMiB)->UseManualTime();
BENCHMARK(addBFloat16)->Name("add_bfloat16")->Arg(256 * kMiB)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
