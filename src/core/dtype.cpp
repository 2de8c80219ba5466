#include "commsim/dtype.hpp"

#include "commsim/error.hpp"

namespace commsim {

std::size_t elementBytes(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Float16: return 2;
    case DType::BFloat16: return 2;
  }
  return 0;
}

std::string_view dtypeName(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "?";
}

DType parseDType(std::string_view name) {
  if (name == "float32" || name == "f32" || name == "float") return DType::Float32;
  if (name == "float64" || name == "f64" || name == "double") return DType::Float64;
  if (name == "float16" || name == "f16" || name == "half") return DType::Float16;
  if (name == "bfloat16" || name == "bf16") return DType::BFloat16;
  throw UsageError("dtype: '" + std::string(name) +
                   "' is not a known type (allowed: float32, float64, float16, bfloat16)");
}

bool hostSupports(DType t) { return t == DType::Float32 || t == DType::Float64; }

}  // namespace commsim
