// Each paradigm, one synchronisation step on in-process ranks (threads): n = 4 workers (plus the
// parameter server's dedicated rank), gradients of 64 KiB to 64 MiB. bytes/s is algbw (p*s per
// step), `busbw` the busiest endpoint's bytes per second (SPEC §3).
#include "commsim/algorithms.hpp"
#include "inproc_driver.hpp"

namespace {

constexpr int kWorkers = 4;

void BM_Paradigm(benchmark::State& state, const char* name) {
  const auto paradigm = commsim::makeAlgorithm(name);
  commsim::benchdrive::drive(state, *paradigm, kWorkers, static_cast<std::uint64_t>(state.range(0)));
}

void sizes(benchmark::internal::Benchmark* b) {
  b->RangeMultiplier(16)->Range(64 << 10, 64 << 20)->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK_CAPTURE(BM_Paradigm, all_to_all, "all-to-all")->Apply(sizes);
BENCHMARK_CAPTURE(BM_Paradigm, parameter_server, "parameter-server")->Apply(sizes);
BENCHMARK_CAPTURE(BM_Paradigm, ring_allreduce, "ring-allreduce")->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
