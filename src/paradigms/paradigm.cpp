#include "commsim/paradigm.hpp"

#include "commsim/error.hpp"

namespace commsim {

std::pair<std::uint64_t, std::uint64_t> Paradigm::checkedRange(const Layout& layout, int rank,
                                                               std::uint64_t p) const {
  if (layout.isWorker(rank)) return {0, p};
  return {0, 0};
}

Expectation wholeGradientMessages(std::uint64_t messages, std::uint64_t p, std::size_t s,
                                  std::string messagesFormula, std::string bytesFormula) {
  Expectation e;
  e.messages = messages;
  e.totalBytes = messages * p * s;
  e.minMessageBytes = e.maxMessageBytes = messages ? p * s : 0;
  e.emptyMessages = p == 0 ? messages : 0;
  e.messagesFormula = std::move(messagesFormula);
  e.bytesFormula = std::move(bytesFormula);
  return e;
}

const std::vector<std::string>& paradigmNames() {
  static const std::vector<std::string> names = {"all-to-all", "parameter-server",
                                                 "ring-allreduce"};
  return names;
}

std::unique_ptr<Paradigm> makeParadigm(std::string_view name, int shards, bool colocated) {
  if (name == "all-to-all") return makeAllToAll();
  if (name == "parameter-server")
    return colocated ? makeParameterServerColocated() : makeParameterServer(shards);
  if (name == "ring-allreduce") return makeRingAllreduce();
  throw UsageError("paradigm: '" + std::string(name) +
                   "' is not known (allowed: all-to-all, parameter-server, ring-allreduce)");
}

}  // namespace commsim
