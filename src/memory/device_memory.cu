// Device memory: cudaMalloc'd buffers, copies and elementwise kernels on one stream per rank.
//
// The kernels are memory-bound, so they are written for bandwidth: 16-byte vector loads and
// stores, a grid-stride loop over a grid of as many blocks as the GPU holds at once (one wave),
// and scalar work only for the few elements before the first 16-byte boundary and after the last
// one (ring chunks start at any element). Every operation is rounded to the element type after each step, as the host
// loops do: float16 and bfloat16 compute in float and round after each operation, which gives
// exactly their own correctly rounded result because float carries at least 2q+2 bits for their
// q-bit significands (q = 11, 8). Compiled with --fmad=false so nothing is fused.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "commsim/error.hpp"
#include "device_memory.hpp"

namespace commsim {

void checkCuda(cudaError_t rc, const char* call, const char* file, int line) {
  if (rc == cudaSuccess) return;
  detail::throwError(file, line, std::string(call) + " failed: " + cudaErrorText(rc));
}

std::string cudaErrorText(cudaError_t rc) {
  return std::string(cudaGetErrorName(rc)) + ": " + cudaGetErrorString(rc);
}

namespace {

constexpr int kThreads = 256;
constexpr std::size_t kVectorBytes = 16;

// Element types as the kernels compute with them.
template <typename T> struct Arith;
template <> struct Arith<float> {
  using C = float;
  __host__ __device__ static C load(float x) { return x; }
  __host__ __device__ static float store(C x) { return x; }
};
template <> struct Arith<double> {
  using C = double;
  __host__ __device__ static C load(double x) { return x; }
  __host__ __device__ static double store(C x) { return x; }
};
template <> struct Arith<__half> {
  using C = float;
  __host__ __device__ static C load(__half x) { return __half2float(x); }
  __host__ __device__ static __half store(C x) { return __float2half_rn(x); }
};
template <> struct Arith<__nv_bfloat16> {
  using C = float;
  __host__ __device__ static C load(__nv_bfloat16 x) { return __bfloat162float(x); }
  __host__ __device__ static __nv_bfloat16 store(C x) { return __float2bfloat16_rn(x); }
};

// A scalar given on the host, as the element type holds it (the host loops convert it to T too).
template <typename T>
typename Arith<T>::C asElement(double v) {
  using A = Arith<T>;
  return A::load(A::store(static_cast<typename A::C>(v)));
}

template <typename T>
struct AddOp {
  __device__ T operator()(T d, T s) const { return Arith<T>::store(Arith<T>::load(d) + Arith<T>::load(s)); }
};

template <typename T>
struct DivideOp {
  typename Arith<T>::C divisor;
  __device__ T operator()(T d, T /*unused*/) const {
    return Arith<T>::store(Arith<T>::load(d) / divisor);
  }
};

// w - lr * (g / n), rounded after each of the three operations.
template <typename T>
struct SgdOp {
  typename Arith<T>::C lr, n;
  __device__ T operator()(T w, T g) const {
    using A = Arith<T>;
    const T mean = A::store(A::load(g) / n);
    const T step = A::store(lr * A::load(mean));
    return A::store(A::load(w) - A::load(step));
  }
};

// dst[i] = op(a[i], b[i]) for i < count; a may be dst (in place), b is never part of dst, and
// b is not read when kHasSource is false. Elements [head, head + vectors * V) are processed as
// 16-byte vectors, all three pointers 16-byte aligned there; the rest, at most 2(V-1) elements,
// one by one.
template <typename T, bool kHasSource, typename Op>
__global__ void elementwise(T* dst, const T* a, const T* __restrict__ b, std::size_t head,
                            std::size_t vectors, std::size_t count, Op op) {
  constexpr std::size_t V = kVectorBytes / sizeof(T);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  auto* dv = reinterpret_cast<uint4*>(dst + head);
  const auto* av = reinterpret_cast<const uint4*>(a + head);
  for (std::size_t v = first; v < vectors; v += stride) {
    alignas(kVectorBytes) T x[V];
    *reinterpret_cast<uint4*>(x) = av[v];
    if constexpr (kHasSource) {
      alignas(kVectorBytes) T y[V];
      *reinterpret_cast<uint4*>(y) = __ldg(reinterpret_cast<const uint4*>(b + head) + v);
#pragma unroll
      for (std::size_t k = 0; k < V; ++k) x[k] = op(x[k], y[k]);
    } else {
#pragma unroll
      for (std::size_t k = 0; k < V; ++k) x[k] = op(x[k], x[k]);
    }
    dv[v] = *reinterpret_cast<uint4*>(x);
  }
  const std::size_t tailStart = head + vectors * V;
  const std::size_t scalars = head + (count - tailStart);
  for (std::size_t i = first; i < scalars; i += stride) {
    const std::size_t at = i < head ? i : tailStart + (i - head);
    if constexpr (kHasSource) dst[at] = op(a[at], b[at]);
    else dst[at] = op(a[at], a[at]);
  }
}

// Blocks the GPU holds at once for this kernel: a grid-stride grid no larger, so no block waits
// for a second wave while the others are done (the work is split evenly over the grid).
template <typename T, bool kHasSource, typename Op>
unsigned residentBlocks(int multiprocessors) {
  static const int perMultiprocessor = [] {
    int n = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, elementwise<T, kHasSource, Op>, kThreads,
                                                      0) != cudaSuccess || n < 1) {
      (void)cudaGetLastError();
      n = 2;
    }
    return n;
  }();
  return static_cast<unsigned>(perMultiprocessor * multiprocessors);
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % kVectorBytes == 0; }

// dst = op(a, b) elementwise (b null when kHasSource is false).
template <typename T, bool kHasSource, typename Op>
void launch(void* dstRaw, const void* aRaw, const void* bRaw, std::size_t count, Op op,
            cudaStream_t stream, int multiprocessors) {
  if (count == 0) return;  // a grid of zero blocks is an invalid launch
  constexpr std::size_t V = kVectorBytes / sizeof(T);
  auto* dst = static_cast<T*>(dstRaw);
  const auto* a = static_cast<const T*>(aRaw);
  const auto* b = static_cast<const T*>(bRaw);
  const auto address = reinterpret_cast<std::uintptr_t>(dst);
  // Elements before dst's first 16-byte boundary; the others must reach theirs at the same one.
  std::size_t head = address % sizeof(T)
                         ? count
                         : ((kVectorBytes - address % kVectorBytes) % kVectorBytes) / sizeof(T);
  head = std::min(head, count);
  const bool vectorise = head < count && aligned16(a + head) && (!kHasSource || aligned16(b + head));
  const std::size_t vectors = vectorise ? (count - head) / V : 0;
  if (!vectorise) head = 0;  // all scalar: the tail is then the whole range
  const std::size_t work = vectors ? std::max<std::size_t>(vectors, 2 * V) : count;
  const std::size_t wanted = (work + kThreads - 1) / kThreads;
  const auto blocks = static_cast<unsigned>(
      std::min<std::size_t>(wanted, residentBlocks<T, kHasSource, Op>(multiprocessors)));
  elementwise<T, kHasSource><<<blocks, kThreads, 0, stream>>>(dst, a, b, head, vectors, count, op);
  COMMSIM_CUDA_CHECK(cudaGetLastError());
}

// Calls f(T{}) with T the CUDA type of t.
template <typename F>
void dispatch(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Float16: return f(__half{});
    case DType::BFloat16: return f(__nv_bfloat16{});
  }
}

// Modelled compute: each thread spins until `ns` have passed on the GPU's global timer (ns since
// an epoch, the same on every SM), from the moment the kernel was launched by the host.
__global__ void spinUntil(unsigned long long start, unsigned long long ns) {
  for (;;) {
    unsigned long long now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    if (now - start >= ns) break;
  }
}

__global__ void readGlobalTimer(unsigned long long* out) {
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(*out));
}

}  // namespace

DeviceMemory::DeviceMemory(int device) : device_(device) {
  COMMSIM_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  COMMSIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  multiprocessors_ = std::max(1, prop.multiProcessorCount);
  pciId_ = (static_cast<std::uint64_t>(prop.pciDomainID) << 32) |
           (static_cast<std::uint64_t>(prop.pciBusID) << 16) |
           static_cast<std::uint64_t>(prop.pciDeviceID);
  char bus[32] = {};
  COMMSIM_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof bus, device));
  std::ostringstream os;
  os << "GPU " << device << " (" << prop.name << ", " << bus << ")";
  description_ = os.str();
  // Non-blocking: no implicit ordering with the legacy default stream that libraries may use.
  COMMSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  COMMSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&computeStream_, cudaStreamNonBlocking));
}

DeviceMemory::~DeviceMemory() {
  for (cudaStream_t s : {computeStream_, stream_}) {
    if (!s) continue;
    cudaStreamSynchronize(s);  // errors were reported where they happened
    cudaStreamDestroy(s);
  }
}

std::string DeviceMemory::describe() const { return description_; }

void* DeviceMemory::allocate(std::size_t bytes) {
  void* p = nullptr;
  const cudaError_t rc = cudaMalloc(&p, bytes);
  if (rc != cudaSuccess) {
    (void)cudaGetLastError();  // an allocation failure is not sticky; clear it
    throw Error("device memory: cannot allocate " + std::to_string(bytes) + " bytes on " +
                description_ + ": " + cudaErrorText(rc));
  }
  return p;
}

void DeviceMemory::release(void* ptr) noexcept {
  // cudaFree waits for the device; a failure here has been reported by the work that caused it.
  if (ptr) cudaFree(ptr);
}

void DeviceMemory::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  COMMSIM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
}

void DeviceMemory::toHost(void* hostDst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  COMMSIM_CUDA_CHECK(cudaMemcpyAsync(hostDst, src, bytes, cudaMemcpyDeviceToHost, stream_));
  COMMSIM_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void DeviceMemory::fromHost(void* dst, const void* hostSrc, std::size_t bytes) {
  if (bytes == 0) return;
  COMMSIM_CUDA_CHECK(cudaMemcpyAsync(dst, hostSrc, bytes, cudaMemcpyHostToDevice, stream_));
  COMMSIM_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the caller may reuse hostSrc at once
}

void DeviceMemory::add(void* dst, const void* src, std::size_t count, DType t) {
  dispatch(t, [&](auto tag) {
    using T = decltype(tag);
    launch<T, true>(dst, dst, src, count, AddOp<T>{}, stream_, multiprocessors_);
  });
}

void DeviceMemory::sum(void* dst, const void* a, const void* b, std::size_t count, DType t) {
  dispatch(t, [&](auto tag) {
    using T = decltype(tag);
    launch<T, true>(dst, a, b, count, AddOp<T>{}, stream_, multiprocessors_);
  });
}

void DeviceMemory::divide(void* dst, std::size_t count, DType t, double divisor) {
  dispatch(t, [&](auto tag) {
    using T = decltype(tag);
    launch<T, false>(dst, dst, nullptr, count, DivideOp<T>{asElement<T>(divisor)}, stream_,
                     multiprocessors_);
  });
}

void DeviceMemory::sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
                           double n) {
  dispatch(t, [&](auto tag) {
    using T = decltype(tag);
    launch<T, true>(w, w, gsum, count, SgdOp<T>{asElement<T>(lr), asElement<T>(n)}, stream_,
                    multiprocessors_);
  });
}

void DeviceMemory::synchronize() { COMMSIM_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

void DeviceMemory::occupy(double seconds) {
  if (seconds <= 0) return;
  // The spin starts when its first block does, so each block spins to one shared end: the
  // timer read by a one-thread kernel just before, on the same stream. One block of 128 threads
  // per SM, like a compute kernel's grid, leaves room beside it for the transport's kernels.
  unsigned long long* start = nullptr;
  COMMSIM_CUDA_CHECK(cudaMallocAsync(&start, sizeof *start, computeStream_));
  readGlobalTimer<<<1, 1, 0, computeStream_>>>(start);
  COMMSIM_CUDA_CHECK(cudaGetLastError());
  unsigned long long origin = 0;
  COMMSIM_CUDA_CHECK(cudaMemcpyAsync(&origin, start, sizeof origin, cudaMemcpyDeviceToHost,
                                     computeStream_));
  COMMSIM_CUDA_CHECK(cudaFreeAsync(start, computeStream_));
  COMMSIM_CUDA_CHECK(cudaStreamSynchronize(computeStream_));
  spinUntil<<<multiprocessors_, 128, 0, computeStream_>>>(
      origin, static_cast<unsigned long long>(seconds * 1e9));
  COMMSIM_CUDA_CHECK(cudaGetLastError());
}

void DeviceMemory::finishOccupying() { COMMSIM_CUDA_CHECK(cudaStreamSynchronize(computeStream_)); }

std::uint64_t DeviceMemory::availableBytes() const {
  std::size_t freeBytes = 0, total = 0;
  COMMSIM_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &total));
  return freeBytes / static_cast<std::size_t>(sharers_);
}

}  // namespace commsim
