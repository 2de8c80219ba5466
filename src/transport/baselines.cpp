#include "commsim/baseline.hpp"

#include <algorithm>

#include "commsim/error.hpp"
#include "transport/transports.hpp"

namespace commsim {

namespace {

// The table entry whose library offers `baseline`, or null.
const TransportEntry* ownerOf(std::string_view baseline) {
  for (const TransportEntry& t : transportTable())
    if (t.baseline == baseline) return &t;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& baselineNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TransportEntry& t : transportTable()) out.emplace_back(t.baseline);
    return out;
  }();
  return names;
}

bool isBaselineName(std::string_view name) { return ownerOf(name) != nullptr; }

std::vector<std::string> defaultBaselines(std::string_view transport) {
  const TransportEntry* t = findTransport(transport);
  return {std::string((t ? *t : transportTable().front()).baseline)};
}

BaselineOffer makeBaseline(std::string_view name, Transport& transport, const MemorySpace& memory,
                           const Layout& layout) {
  const TransportEntry* owner = ownerOf(name);
  if (!owner) {
    std::string allowed;
    for (const std::string& n : baselineNames()) allowed += (allowed.empty() ? "" : ", ") + n;
    throw UsageError("baseline: '" + std::string(name) + "' is not known (allowed: " + allowed +
                     ")");
  }
  const std::string baseline(name);
  if (!owner->missing.empty())
    return {nullptr, baseline + " needs " + std::string(owner->missing)};
  if (transport.name() != owner->name)
    return {nullptr, baseline + " needs " + std::string(owner->baselineNeeds) + "; this run uses the " +
                         std::string(transport.name()) + " transport" +
                         std::string(owner->baselineHint)};
  return transport.libraryAllreduce(memory, layout);
}

}  // namespace commsim
