// libFuzzer target for the workload loader (SPEC §11): any text must either load into a workload
// that holds its invariants, whose buckets cover it under any cap, or be refused with UsageError;
// nothing else may escape (a YAML exception, a crash, undefined behaviour).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "commsim/error.hpp"
#include "commsim/workload.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "workload_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const commsim::Workload w = commsim::parseWorkload(text, "fuzz.yaml");
    if (w.tensors.empty() || w.params() == 0) fail("loaded a workload without elements");
    if (!(w.forwardFlops >= 0) || !std::isfinite(w.forwardFlops)) fail("bad forward FLOPs");
    for (const std::uint64_t cap : {std::uint64_t{0}, std::uint64_t{4096},
                                    commsim::kDefaultBucketBytes, commsim::kWholeModelBucket}) {
      std::uint64_t elements = 0;
      std::size_t tensors = 0;
      for (const commsim::Bucket& b : commsim::formBuckets(w, cap)) {
        if (b.offset != elements || b.firstTensor != tensors) fail("buckets leave a gap");
        elements += b.elements;
        tensors += b.tensors;
      }
      if (elements != w.params() || tensors != w.tensors.size()) fail("buckets miss tensors");
    }
  } catch (const commsim::UsageError&) {
    // Refused with a message: fine.
  }
  return 0;
}
