// Element types of the gradient.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace commsim {

enum class DType { Float32, Float64, Float16, BFloat16 };

std::size_t elementBytes(DType t);
std::string_view dtypeName(DType t);
// Parses "float32" (also "f32", "float"), "float64" ("f64", "double"), "float16" ("f16", "half"),
// "bfloat16" ("bf16"). Throws UsageError naming the value and the allowed names.
DType parseDType(std::string_view name);
// Whether host memory supports this type (device memory supports all of them).
bool hostSupports(DType t);

}  // namespace commsim
