// The host reduction kernel (MemorySpace::add: dst[i] += src[i], what every paradigm runs on what
// it receives) against memcpy of the same bytes, both in bytes per second of the p*s payload.
// add reads two arrays and writes one where memcpy reads one and writes one, so once the arrays
// outgrow the caches add moves 1.5x the memory traffic of memcpy for the same payload.
#include <benchmark/benchmark.h>

#include <cstring>

#include "commsim/memory.hpp"

namespace {

using commsim::Buffer;
using commsim::DType;
using commsim::hostMemory;

template <typename T>
void fillWith(Buffer& b, T value) {
  auto* p = static_cast<T*>(b.data());
  for (std::size_t i = 0; i < b.size() / sizeof(T); ++i) p[i] = value;
}

template <typename T, DType kType>
void BM_HostAdd(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  Buffer dst(hostMemory(), bytes), src(hostMemory(), bytes);
  // Small integers stay exact and never denormal, however many times they are added.
  fillWith<T>(dst, T(1));
  fillWith<T>(src, T(0));
  for (auto _ : state) {
    hostMemory().add(dst.data(), src.data(), bytes / sizeof(T), kType);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void BM_Memcpy(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  Buffer dst(hostMemory(), bytes), src(hostMemory(), bytes);
  fillWith<float>(dst, 1.0f);
  fillWith<float>(src, 0.0f);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

// 64 KiB (in L1/L2) to 256 MiB (far beyond L3), the chunk and gradient sizes of a sweep.
void sizes(benchmark::internal::Benchmark* b) {
  b->RangeMultiplier(8)->Range(64 << 10, 256 << 20)->Arg(1 << 20)->Arg(64 << 20);
}

BENCHMARK(BM_Memcpy)->Apply(sizes);
BENCHMARK(BM_HostAdd<float, DType::Float32>)->Name("BM_HostAdd/float32")->Apply(sizes);
BENCHMARK(BM_HostAdd<double, DType::Float64>)->Name("BM_HostAdd/float64")->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
