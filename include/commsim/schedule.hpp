// An algorithm's schedule — who sends how many bytes to whom, in which round — recorded by running
// the algorithm's own code for every rank on a transport that records messages instead of moving
// bytes. The cost model (and anything else that needs the schedule: timelines, tests) reads it
// from here, so it cannot disagree with the code.
//
// Rounds follow the code's waits. A rank's operations completed by one Transport::waitAll form a
// group; a message travels in the first round in which both its send and its receive are posted,
// and a group completes in the last round of its messages. An operation posted after a rank's
// g-th group completed is posted in the round after that group's. So a ring step is one round, a
// parameter server that receives one gradient per wait takes one round per gradient, and a
// pipelined tree overlaps its segments as the code does. Reductions a rank does after a group
// count in that group's round.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "commsim/paradigm.hpp"
#include "commsim/topology.hpp"

namespace commsim {

struct ScheduledMessage {
  int src = 0;
  int dst = 0;
  int tag = 0;
  int round = 0;
  std::uint64_t bytes = 0;
};

struct Schedule {
  int ranks = 0;
  int rounds = 0;
  std::vector<ScheduledMessage> messages;   // ordered by round, then by sender
  std::vector<std::size_t> roundBegin;      // messages of round r: [roundBegin[r], roundBegin[r+1])
  std::vector<double> reduceSeconds;  // per round, the longest any one rank spent reducing
  std::vector<double> localSeconds;   // per round, the longest any one rank copied or scaled
  std::vector<double> latencySeconds;  // per round, the longest any one rank spent on receives'
                                       // latencies as its own work (MemoryCosts::receiveWork)
                                       // and on their bytes' state (sendWritten, sendUnwritten)
  std::vector<std::uint64_t> sentBytes;     // per rank, over the step
  std::vector<std::uint64_t> receivedBytes;  // per rank, over the step
};

// Runs `paradigm` for every rank of `layout` (recording, no data moved) with p elements of
// elementBytes each. Throws Error when the code's sends and receives do not pair up or its waits
// deadlock: the schedule doubles as a check of the code.
//
// Each of the code's memory passes (a reduction, a copy or scaling) is priced by `costs` at its own
// size, as SimGrid's simulated memory charges it: a round's two 1 MiB passes cost twice one, not
// one 2 MiB pass (which may not fit the caches). Without costs they are free.
struct MemoryCosts {
  PassCost reduce;  // per byte reduced in place (add, the SGD step: gamma)
  PassCost local;   // per byte copied
  PassCost sum;     // per byte reduced into a third buffer (sum)
  // The passes one host's ranks make in one round share its memory (Topology::memoryParallelism):
  // each runs at its own cost while at most `parallelism` pass at once, and k > that share it
  // fluidly. Ranks r with equal r / ranksPerHost share a host. 0: every pass at its own cost.
  double parallelism = 0;
  int ranksPerHost = 1;
  // Added per byte a pass writes that a peer has read since this rank last wrote it
  // (Topology::writeAfterSend, ByteRanges). Zero: nothing added, and the step is recorded once.
  PassCost writeAfterSend;
  // The work a rank does after a wait for each message it received from a rank of its own host
  // (Topology::receiveWork), shared with the host's passes as they are. None: not any().
  MessageCost receiveWork;
  PassCost scale;  // per byte scaled in place (divide), after the reduction into those bytes
  // Added per byte of a message to a rank of this host, by whether the sender has written those
  // bytes since it last sent them (Topology::sendWritten, sendUnwritten), as the receiver's work
  // after the wait that completes it (its copy). With either, the step is recorded twice too.
  PassCost sendWritten;
  PassCost sendUnwritten;
  bool statefulSends() const { return sendWritten.any() || sendUnwritten.any(); }
  PassCost sgd;  // per byte of the SGD step (w -= lr * g / n), after the reduction of g
};
Schedule recordSchedule(const Paradigm& paradigm, const Layout& layout, std::uint64_t p,
                        std::size_t elementBytes, const MemoryCosts& costs = {});

}  // namespace commsim
