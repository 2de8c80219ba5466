#include "commsim/paradigm.hpp"

#include "commsim/chunks.hpp"

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

Expectation partitionedMessages(std::uint64_t parts, std::uint64_t times, std::uint64_t p,
                                std::size_t s, std::string messagesFormula,
                                std::string bytesFormula) {
  const Partition partition{p, parts};
  Expectation e;
  e.messages = parts * times;
  e.totalBytes = times * p * s;
  if (e.messages) {
    e.minMessageBytes = partition.minCount() * s;
    e.maxMessageBytes = partition.maxCount() * s;
  }
  e.emptyMessages = times * partition.emptyParts();
  e.messagesFormula = std::move(messagesFormula);
  e.bytesFormula = std::move(bytesFormula);
  return e;
}

}  // namespace commsim
