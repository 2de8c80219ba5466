// Workload files (commsim/workload.hpp); the bucket rule and the step timeline are in
// src/core/training_step.cpp.
#include "commsim/workload.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>

#include "commsim/error.hpp"
#include "yaml_file.hpp"

namespace commsim {

namespace {

constexpr std::string_view kTopKeys =
    "name, source, dtype, batch, sequence, forward_flops or forward_s, tensors";
constexpr std::string_view kTensorKeys = "name, elements, backward_flops or backward_s";

// Walks the file, naming the line and the field in every message.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& at, std::string_view field, std::string_view what) const {
    std::string where = source_;
    if (at.Mark().line >= 0) where += ":" + std::to_string(at.Mark().line + 1);
    throw UsageError(where + ": " + std::string(field) + ": " + std::string(what));
  }

  void checkKeys(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> allowed, std::string_view list) const {
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(kv.first, join(path, key), "unknown key (allowed: " + std::string(list) + ")");
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  std::string scalar(const YAML::Node& parent, const std::string& path, std::string_view key,
                     std::string_view required) const {
    const YAML::Node n = parent[std::string(key)];
    if (!n) fail(parent, join(path, key), "missing (required: " + std::string(required) + ")");
    if (!n.IsScalar() || n.Scalar().empty())
      fail(n, join(path, key), "must be a single value (" + std::string(required) + ")");
    return n.Scalar();
  }

  std::uint64_t count(const YAML::Node& parent, const std::string& path, std::string_view key) const {
    const std::string text = scalar(parent, path, key, "a whole number >= 0");
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text[0] == '+' || ec != std::errc() || end != text.data() + text.size())
      fail(parent[std::string(key)], join(path, key),
           "'" + printable(text) + "' is not a whole number >= 0 (allowed: digits, e.g. 2048)");
    return v;
  }

  double amount(const YAML::Node& n, const std::string& field, std::string_view unit) const {
    const std::string text = n.IsScalar() ? n.Scalar() : "";
    double v = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(v) || v < 0)
      fail(n, field, "'" + printable(text) + "' is not a number >= 0 of " + std::string(unit) +
                         " (e.g. 4.1e9)");
    return v;
  }

  // Exactly one of <stem>_flops and <stem>_s; returns {flops, seconds or -1}.
  std::pair<double, double> compute(const YAML::Node& parent, const std::string& path,
                                    const std::string& stem) const {
    const YAML::Node flops = parent[stem + "_flops"];
    const YAML::Node seconds = parent[stem + "_s"];
    if (flops && seconds)
      fail(seconds, join(path, stem + "_s"), "given beside " + stem + "_flops (allowed: one of them)");
    if (flops) return {amount(flops, join(path, stem + "_flops"), "FLOPs"), -1};
    if (seconds) return {0, amount(seconds, join(path, stem + "_s"), "seconds")};
    fail(parent, join(path, stem + "_flops"),
         "missing (required: " + stem + "_flops, or " + stem + "_s in seconds)");
  }

 private:
  std::string source_;
};

}  // namespace

Workload parseWorkload(std::string_view yaml, const std::string& source) {
  const YAML::Node loaded = parseYaml(yaml, source);
  const YAML::Node& root = loaded;  // const: looking up an absent key never adds it
  const Reader r(source);
  if (root.IsNull())
    throw UsageError(source + ":1: (top level): the file is empty (required: " +
                     std::string(kTopKeys) + ")");
  if (!root.IsMap()) r.fail(root, "(top level)", "must be a mapping (keys: " + std::string(kTopKeys) + ")");
  r.checkKeys(root, "",
              {"name", "source", "dtype", "batch", "sequence", "forward_flops", "forward_s",
               "tensors"},
              kTopKeys);
  Workload w;
  w.source = source;
  w.name = r.scalar(root, "", "name", "a string");
  if (root["source"]) r.scalar(root, "", "source", "a string");
  const std::string dtype = r.scalar(root, "", "dtype", "float32, float64, float16 or bfloat16");
  try {
    w.dtype = parseDType(dtype);
  } catch (const UsageError&) {
    r.fail(root["dtype"], "dtype",
           "'" + printable(dtype) + "' is not a known type (allowed: float32, float64, float16, bfloat16)");
  }
  w.batch = r.count(root, "", "batch");
  w.sequence = root["sequence"] ? r.count(root, "", "sequence") : 0;
  std::tie(w.forwardFlops, w.forwardSeconds) = r.compute(root, "", "forward");

  const YAML::Node tensors = root["tensors"];
  if (!tensors) r.fail(root, "tensors", "missing (required: a list of tensors in backward order)");
  if (!tensors.IsSequence())
    r.fail(tensors, "tensors", "must be a list of tensors (each: " + std::string(kTensorKeys) + ")");
  if (tensors.size() == 0) r.fail(tensors, "tensors", "is empty (required: at least one tensor)");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const YAML::Node t = tensors[i];
    const std::string path = "tensors[" + std::to_string(i) + "]";
    if (!t.IsMap()) r.fail(t, path, "must be a mapping (keys: " + std::string(kTensorKeys) + ")");
    r.checkKeys(t, path, {"name", "elements", "backward_flops", "backward_s"}, kTensorKeys);
    WorkloadTensor wt;
    wt.name = r.scalar(t, path, "name", "a string");
    wt.elements = r.count(t, path, "elements");
    std::tie(wt.backwardFlops, wt.backwardSeconds) = r.compute(t, path, "backward");
    w.tensors.push_back(std::move(wt));
  }
  if (w.params() == 0) r.fail(tensors, "tensors", "hold no elements (required: at least one)");
  constexpr std::uint64_t kMost = std::uint64_t{1} << 48;
  std::uint64_t total = 0;
  for (const auto& t : w.tensors) {
    if (t.elements > kMost || (total += t.elements) > kMost)
      r.fail(tensors, "tensors", "hold more than 2^48 elements in all (too many to address)");
  }
  return w;
}

Workload loadWorkload(const std::string& path) {
  return parseWorkload(readTextFile(path, "workload file", "workloads/"), path);
}

}  // namespace commsim
