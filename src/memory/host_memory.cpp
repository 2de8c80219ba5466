// Host memory: page-aligned allocations and plain loops the compiler vectorises.
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

#include "commsim/error.hpp"
#include "commsim/memory.hpp"

namespace commsim {

namespace {

// The reduction every paradigm runs on what it receives. Built for several instruction sets and
// picked at load time (GCC's target_clones): the default x86-64 build would use 16-byte SSE2
// vectors, which leave the kernel at half of memcpy's speed on data in cache.
#define COMMSIM_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

COMMSIM_VECTOR_CLONES
void addFloat(float* __restrict d, const float* __restrict s, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) d[i] += s[i];
}

COMMSIM_VECTOR_CLONES
void addDouble(double* __restrict d, const double* __restrict s, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) d[i] += s[i];
}

COMMSIM_VECTOR_CLONES
void sumFloat(float* __restrict d, const float* __restrict a, const float* __restrict b,
              std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) d[i] = a[i] + b[i];
}

COMMSIM_VECTOR_CLONES
void sumDouble(double* __restrict d, const double* __restrict a, const double* __restrict b,
               std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) d[i] = a[i] + b[i];
}

// The scaling to the mean divides (a multiplication by 1/n would round differently for n not a
// power of two, and the result is checked exactly). Division is slow: with SSE2 it ran at 0.085
// ns/B on this project's 2-core Zen 3, 2.2x a memcpy (0.039), which the model prices it as; AVX2's
// 8-wide divide runs at 0.031.
COMMSIM_VECTOR_CLONES
void divideFloat(float* d, std::size_t count, float divisor) {
  for (std::size_t i = 0; i < count; ++i) d[i] /= divisor;
}

COMMSIM_VECTOR_CLONES
void divideDouble(double* d, std::size_t count, double divisor) {
  for (std::size_t i = 0; i < count; ++i) d[i] /= divisor;
}

COMMSIM_VECTOR_CLONES
void sgdFloat(float* __restrict p, const float* __restrict g, std::size_t count, float lr, float n) {
  for (std::size_t i = 0; i < count; ++i) p[i] -= lr * (g[i] / n);
}

COMMSIM_VECTOR_CLONES
void sgdDouble(double* __restrict p, const double* __restrict g, std::size_t count, double lr,
               double n) {
  for (std::size_t i = 0; i < count; ++i) p[i] -= lr * (g[i] / n);
}

[[noreturn]] void unsupported(DType t) {
  throw UsageError("dtype: " + std::string(dtypeName(t)) +
                   " is not supported in host memory (allowed: float32, float64)");
}

class HostMemory final : public MemorySpace {
 public:
  std::string_view name() const override { return "host"; }
  bool isDevice() const override { return false; }

  // Buffers of 2 MiB and more are 2 MiB-aligned and asked to be transparent huge pages. A
  // large message between MPI processes on one host is one copy out of the sender's pages
  // (Open MPI's CMA), and on 4 KiB pages pinning and walking those pages costs half as much
  // as the copy itself; huge pages also spare the TLB the adds and copies make.
  //
  // Released, such a buffer is kept for the next one that fits rather than given back to the
  // kernel, so that a run's timed steps never follow a large free. A virtual machine that
  // reports free guest pages to its host (virtio-balloon free page reporting, on this machine)
  // does so about 2 s after the free, in batches that stopped a rank for 11-47 ms each: one
  // such stop inside a 50 ms measurement is an error of 80% (docs/bench.md). A request no kept
  // buffer fits gives every kept one back first, so the process never holds more than what it
  // has used at once.
  void* allocate(std::size_t bytes) override {
    constexpr std::size_t kPage = 4096;
    const std::size_t align = bytes >= kHugePage ? kHugePage : kPage;
    const std::size_t rounded = (bytes + align - 1) / align * align;
    if (align != kHugePage) return allocateFresh(bytes, align, rounded);
    std::lock_guard lock(mutex_);
    auto fit = kept_.lower_bound(rounded);  // the smallest kept buffer that holds it
    if (fit == kept_.end()) {
      giveBackKept();
      void* p = allocateFresh(bytes, align, rounded);
      live_.emplace(p, rounded);
      return p;
    }
    void* p = fit->second;
    live_.emplace(p, fit->first);
    kept_.erase(fit);
    return p;
  }
  void release(void* ptr) noexcept override {
    if (!ptr) return;
    std::lock_guard lock(mutex_);
    const auto at = live_.find(ptr);
    if (at == live_.end()) return std::free(ptr);  // a small buffer
    kept_.emplace(at->second, ptr);
    live_.erase(at);
  }
  ~HostMemory() override {
    std::lock_guard lock(mutex_);
    giveBackKept();
  }

  void copy(void* dst, const void* src, std::size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void toHost(void* dst, const void* src, std::size_t bytes) override { copy(dst, src, bytes); }
  void fromHost(void* dst, const void* src, std::size_t bytes) override { copy(dst, src, bytes); }

  void add(void* dst, const void* src, std::size_t count, DType t) override {
    switch (t) {
      case DType::Float32:
        return addFloat(static_cast<float*>(dst), static_cast<const float*>(src), count);
      case DType::Float64:
        return addDouble(static_cast<double*>(dst), static_cast<const double*>(src), count);
      default: unsupported(t);
    }
  }
  void sum(void* dst, const void* a, const void* b, std::size_t count, DType t) override {
    if (dst == a) return add(dst, b, count, t);  // the loops below promise no aliasing
    switch (t) {
      case DType::Float32:
        return sumFloat(static_cast<float*>(dst), static_cast<const float*>(a),
                        static_cast<const float*>(b), count);
      case DType::Float64:
        return sumDouble(static_cast<double*>(dst), static_cast<const double*>(a),
                         static_cast<const double*>(b), count);
      default: unsupported(t);
    }
  }
  void divide(void* dst, std::size_t count, DType t, double divisor) override {
    switch (t) {
      case DType::Float32:
        return divideFloat(static_cast<float*>(dst), count, static_cast<float>(divisor));
      case DType::Float64: return divideDouble(static_cast<double*>(dst), count, divisor);
      default: unsupported(t);
    }
  }
  void sgdStep(void* w, const void* gsum, std::size_t count, DType t, double lr,
               double n) override {
    switch (t) {
      case DType::Float32:
        return sgdFloat(static_cast<float*>(w), static_cast<const float*>(gsum), count,
                        static_cast<float>(lr), static_cast<float>(n));
      case DType::Float64:
        return sgdDouble(static_cast<double*>(w), static_cast<const double*>(gsum), count, lr, n);
      default: unsupported(t);
    }
  }
  void synchronize() override {}

 private:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  static void* allocateFresh(std::size_t bytes, std::size_t align, std::size_t rounded) {
    void* p = std::aligned_alloc(align, rounded);
    if (!p) throw Error("host memory: cannot allocate " + std::to_string(bytes) + " bytes");
    // Advice only: where huge pages are off, the buffer simply stays on small pages.
    if (align == kHugePage) ::madvise(p, rounded, MADV_HUGEPAGE);
    return p;
  }
  // With mutex_ held.
  void giveBackKept() noexcept {
    for (const auto& [bytes, p] : kept_) std::free(p);
    kept_.clear();
  }

  std::mutex mutex_;  // ranks of --local are threads sharing this memory space
  std::unordered_map<void*, std::size_t> live_;  // buffers of 2 MiB and more, by their rounded size
  std::multimap<std::size_t, void*> kept_;       // released ones, by size
};

}  // namespace

MemorySpace& hostMemory() {
  static HostMemory memory;
  return memory;
}

}  // namespace commsim
