// GPU tests. Each needs a CUDA device and skips, saying why, where there is none (CI, a build
// without CUDA); what needs several GPUs skips on one. The last test runs everywhere: without a
// device, asking for NCCL is bad input (exit 2), never a crash.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "commsim/device.hpp"
#include "commsim/dtype.hpp"
#include "commsim/error.hpp"
#include "commsim/harness.hpp"
#include "commsim/memory.hpp"
#include "process.hpp"

namespace commsim::test {
namespace {

#define SKIP_WITHOUT_GPU()                                             \
  do {                                                                 \
    if (const std::string why = cudaUnavailableReason(); !why.empty()) \
      GTEST_SKIP() << "no CUDA device: " << why;                       \
  } while (0)

// ---- host encodings, independent of the harness's: IEEE binary16, bfloat16 round-to-nearest-even

std::uint16_t bf16Bits(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  return static_cast<std::uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

// Rounds v (exact in double) to what `t` holds. Double carries at least 2q+2 bits for each
// type's q-bit significand, so a single operation computed in double and rounded here is the
// type's correctly rounded operation.
double rounded(double v, DType t) {
  switch (t) {
    case DType::Float64: return v;
    case DType::Float32: return static_cast<float>(v);
    case DType::Float16: return static_cast<double>(static_cast<_Float16>(v));
    case DType::BFloat16:
      return std::bit_cast<float>(std::uint32_t{bf16Bits(static_cast<float>(v))} << 16);
  }
  return v;
}

void store(double v, DType t, std::byte* at) {
  switch (t) {
    case DType::Float64: std::memcpy(at, &v, 8); return;
    case DType::Float32: { const auto f = static_cast<float>(v); std::memcpy(at, &f, 4); return; }
    case DType::Float16: { const auto h = static_cast<_Float16>(v); std::memcpy(at, &h, 2); return; }
    case DType::BFloat16: { const auto h = bf16Bits(static_cast<float>(v)); std::memcpy(at, &h, 2); return; }
  }
}

double load(DType t, const std::byte* at) {
  switch (t) {
    case DType::Float64: { double d; std::memcpy(&d, at, 8); return d; }
    case DType::Float32: { float f; std::memcpy(&f, at, 4); return f; }
    case DType::Float16: { _Float16 h; std::memcpy(&h, at, 2); return static_cast<double>(h); }
    case DType::BFloat16: { std::uint16_t h; std::memcpy(&h, at, 2); return std::bit_cast<float>(std::uint32_t{h} << 16); }
  }
  return 0;
}

// Random values the type holds exactly: k * 2^-e with |k| below the significand's reach, so
// sums, quotients and products must round and the rounding is what is tested.
std::vector<double> randomValues(std::size_t n, DType t, std::uint32_t seed) {
  std::mt19937 gen(seed);
  const auto [reach, scale] = [&]() -> std::pair<int, double> {
    switch (t) {
      case DType::Float64: case DType::Float32: return {1 << 20, 1.0 / 256};
      case DType::Float16: return {1000, 1.0 / 16};
      case DType::BFloat16: return {255, 1.0 / 8};
    }
    return {1, 1.0};
  }();
  std::uniform_int_distribution<int> k(-reach, reach);
  std::vector<double> v(n);
  for (auto& x : v) x = k(gen) * scale;
  return v;
}

struct KernelCase {
  DType dtype;
  std::size_t count;
  std::size_t dstOffset;  // elements: offsets move the buffers off 16-byte alignment
  std::size_t srcOffset;
};

void PrintTo(const KernelCase& c, std::ostream* os) {
  *os << dtypeName(c.dtype) << " n=" << c.count << " offsets " << c.dstOffset << "/" << c.srcOffset;
}

class DeviceKernels : public ::testing::TestWithParam<KernelCase> {};

TEST_P(DeviceKernels, MatchFloat64HostReference) {
  SKIP_WITHOUT_GPU();
  const auto c = GetParam();
  const std::size_t s = elementBytes(c.dtype);
  const auto a = randomValues(c.count, c.dtype, 1);
  const auto b = randomValues(c.count, c.dtype, 2);
  auto memory = makeDeviceMemory(0);
  const std::size_t span = (c.count + 8) * s;
  Buffer dst(*memory, span), src(*memory, span), third(*memory, span);
  std::vector<std::byte> hostA(span), hostB(span), out(span);
  for (std::size_t i = 0; i < c.count; ++i) {
    store(a[i], c.dtype, &hostA[(c.dstOffset + i) * s]);
    store(b[i], c.dtype, &hostB[(c.srcOffset + i) * s]);
  }
  auto* d = dst.bytes() + c.dstOffset * s;
  const auto* g = src.bytes() + c.srcOffset * s;
  const double divisor = 3, lr = 0.1, n = 3;
  const double lrT = rounded(lr, c.dtype), nT = rounded(n, c.dtype), divT = rounded(divisor, c.dtype);

  struct Op {
    const char* name;
    std::function<void()> run;
    std::function<double(double, double)> reference;
    const Buffer* result;  // where the result lands, at the destination's offset
  };
  auto sum = [&](double x, double y) { return rounded(x + y, c.dtype); };
  auto* t = third.bytes() + c.dstOffset * s;
  const std::vector<Op> ops = {
      {"add", [&] { memory->add(d, g, c.count, c.dtype); }, sum, &dst},
      {"sum in place", [&] { memory->sum(d, d, g, c.count, c.dtype); }, sum, &dst},
      {"sum into a third buffer", [&] { memory->sum(t, d, g, c.count, c.dtype); }, sum, &third},
      {"divide", [&] { memory->divide(d, c.count, c.dtype, divisor); },
       [&](double x, double) { return rounded(x / divT, c.dtype); }, &dst},
      {"sgdStep", [&] { memory->sgdStep(d, g, c.count, c.dtype, lr, n); },
       [&](double w, double y) {
         const double mean = rounded(y / nT, c.dtype);
         return rounded(w - rounded(lrT * mean, c.dtype), c.dtype);
       }, &dst},
  };
  for (const Op& op : ops) {
    memory->fromHost(dst.data(), hostA.data(), span);
    memory->fromHost(src.data(), hostB.data(), span);
    memory->fromHost(third.data(), hostA.data(), span);  // untouched outside the range, as dst
    op.run();
    memory->synchronize();
    memory->toHost(out.data(), op.result->data(), span);
    std::size_t wrong = 0, firstWrong = c.count;
    for (std::size_t i = 0; i < c.count; ++i) {
      const double got = load(c.dtype, &out[(c.dstOffset + i) * s]);
      if (got != op.reference(a[i], b[i])) {
        if (!wrong) firstWrong = i;
        ++wrong;
      }
    }
    EXPECT_EQ(wrong, 0u) << op.name << " " << dtypeName(c.dtype) << ": first wrong element "
                         << firstWrong;
    // Elements outside [offset, offset + count) are untouched.
    for (std::size_t i = 0; i < c.dstOffset; ++i)
      EXPECT_EQ(out[i * s], hostA[i * s]) << op.name << " wrote before the range";
    for (std::size_t i = (c.dstOffset + c.count) * s; i < span; ++i)
      ASSERT_EQ(out[i], hostA[i]) << op.name << " wrote past the range";
  }
}

std::vector<KernelCase> kernelCases() {
  std::vector<KernelCase> cases;
  for (const DType t : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16})
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{33},
                                std::size_t{1000003}})
      for (const auto& [dOff, sOff] : {std::pair{0, 0}, std::pair{1, 1}, std::pair{1, 3}})
        cases.push_back({t, n, static_cast<std::size_t>(dOff), static_cast<std::size_t>(sOff)});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Gpu, DeviceKernels, ::testing::ValuesIn(kernelCases()),
                         [](const auto& info) {
                           const auto& c = info.param;
                           return std::string(dtypeName(c.dtype)) + "_n" + std::to_string(c.count) +
                                  "_off" + std::to_string(c.dstOffset) + "_" +
                                  std::to_string(c.srcOffset);
                         });

TEST(DeviceMemory, CopiesRoundTripAndReportsFreeMemory) {
  SKIP_WITHOUT_GPU();
  auto memory = makeDeviceMemory(0);
  EXPECT_TRUE(memory->isDevice());
  EXPECT_GT(memory->availableBytes(), 0u);
  std::vector<std::uint8_t> in(1 << 20), out(1 << 20, 0);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i * 31 + 7);
  Buffer a(*memory, in.size()), b(*memory, in.size());
  memory->fromHost(a.data(), in.data(), in.size());
  memory->copy(b.data(), a.data(), in.size());
  memory->copy(b.data(), a.data(), 0);
  memory->toHost(out.data(), b.data(), out.size());
  EXPECT_EQ(in, out);
}

// Modelled compute (commsim train): occupy() returns at once and the kernel ends no sooner than
// asked, and not long after.
TEST(DeviceMemory, OccupyReturnsAtOnceAndSpinsForTheTimeAsked) {
  SKIP_WITHOUT_GPU();
  auto memory = makeDeviceMemory(0);
  memory->occupy(0.001);  // the first launch loads the module: not timed
  memory->finishOccupying();
  const auto start = std::chrono::steady_clock::now();
  memory->occupy(0.2);
  const std::chrono::duration<double> launched = std::chrono::steady_clock::now() - start;
  memory->finishOccupying();
  const std::chrono::duration<double> ended = std::chrono::steady_clock::now() - start;
  EXPECT_LT(launched.count(), 0.05);
  EXPECT_GE(ended.count(), 0.2);
  EXPECT_LT(ended.count(), 0.3);
  std::printf("occupy(0.2 s): returned after %.6f s, ended after %.6f s\n", launched.count(),
              ended.count());
}

// ---- processes: a GPU backend under a real mpirun

TEST(MpiDeviceMemory, TrainStepComputesOnTheGpuBesideItsBuckets) {
  SKIP_WITHOUT_GPU();
  auto argv = mpirun(2);
  for (const auto& a : commsim({"train", "--memory", "device", "--workload",
                                COMMSIM_SOURCE_DIR "/workloads/resnet50.yaml", "--algorithm",
                                "ring-allreduce", "--iterations", "2", "--format", "json"}))
    argv.push_back(a);
  const auto r = runProcess(argv, 240);
  ASSERT_FALSE(r.timedOut) << r.err;
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc.at("ok").get<bool>()) << r.out;
  const auto& step = doc.at("step");
  EXPECT_GE(step.at("step_s").get<double>(), step.at("compute_s").get<double>()) << r.out;
  std::printf("%s\n", step.dump().c_str());
}

TEST(NcclOneRank, StartsChecksEveryParadigmAndTheBaselineAndEnds) {
  SKIP_WITHOUT_GPU();
  auto argv = mpirun(1);
  argv.push_back(GPU_RANK_CHECK);
  argv.push_back("nccl");
  const auto r = runProcess(argv, 240);
  ASSERT_FALSE(r.timedOut) << r.out << r.err;
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("data path nccl"), std::string::npos) << r.out;
  std::printf("%s", r.out.c_str());
}

TEST(MpiDeviceMemory, SeveralRanksShareOneGpu) {
  SKIP_WITHOUT_GPU();
  for (const char* dtype : {"float32", "float64", "float16", "bfloat16"}) {
    auto argv = mpirun(4);
    for (const auto& a : commsim({"table", "--memory", "device", "-p", "1000003", "-d", dtype,
                                  "--format", "json"}))
      argv.push_back(a);
    const auto r = runProcess(argv, 240);
    ASSERT_FALSE(r.timedOut) << r.err;
    ASSERT_EQ(r.status, 0) << dtype << "\n" << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.at("memory"), "device");
    const std::string path = doc.at("data_path");
    EXPECT_TRUE(path == "staged" || path == "cuda-aware") << path;
    EXPECT_TRUE(doc.at("ok").get<bool>()) << r.out;
    std::printf("%s: data path %s, %s\n", dtype, path.c_str(),
                doc.value("transport_detail", std::string()).c_str());
  }
  auto argv = mpirun(3);
  argv.push_back(GPU_RANK_CHECK);
  argv.push_back("mpi");
  const auto r = runProcess(argv, 240);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(NcclSeveralGpus, TableOverNccl) {
  SKIP_WITHOUT_GPU();
  const int gpus = visibleCudaDevices();
  if (gpus < 2)
    GTEST_SKIP() << "not executed: needs several GPUs (NCCL takes one GPU per rank; " << gpus
                 << " visible)";
  const int ranks = std::min(gpus, 8);
  auto argv = mpirun(ranks);
  for (const auto& a : commsim({"table", "--backend", "nccl", "-p", "1000003", "--format", "json"}))
    argv.push_back(a);
  const auto r = runProcess(argv, 300);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("transport"), "nccl");
  EXPECT_TRUE(doc.at("ok").get<bool>()) << r.out;
}

// Runs everywhere: the largest n for which the check's partial sums, integers up to n(n+12), are
// exact in each type (bfloat16: 256, float16: 2048, float32: 2^24).
TEST(Exactness, WorkerLimitsPerDtype) {
  EXPECT_EQ(maxExactWorkers(DType::BFloat16), 11);  // 11 * 23 = 253
  EXPECT_EQ(maxExactWorkers(DType::Float16), 39);   // 39 * 51 = 1989, 40 * 52 = 2080
  EXPECT_EQ(maxExactWorkers(DType::Float32), 4090);
  EXPECT_NO_THROW(ensureExactInputs(Layout{12, 11, 1}, DType::BFloat16));
  EXPECT_THROW(ensureExactInputs(Layout{13, 12, 1}, DType::BFloat16), UsageError);
  EXPECT_NO_THROW(ensureExactInputs(Layout{13, 12, 1}, DType::Float16));
}

// Runs everywhere: the refusal when there is no device (or no CUDA in this build).
TEST(GpuCli, NcclWithoutADeviceIsBadInput) {
  if (cudaUnavailableReason().empty())
    GTEST_SKIP() << "a CUDA device is present: this checks the refusal on machines without one";
  const auto r = runProcess(commsim({"table", "--backend", "nccl"}), 60);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("backend: nccl"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("CUDA device") != std::string::npos ||
              r.err.find("CUDA build") != std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line:\n" << r.err;
  const auto d = runProcess(commsim({"table", "--memory", "device", "-d", "bfloat16"}), 60);
  EXPECT_EQ(d.status, 2) << d.err;
  EXPECT_NE(d.err.find("memory: device"), std::string::npos) << d.err;
}

}  // namespace
}  // namespace commsim::test
