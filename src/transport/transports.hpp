// The transports a run can choose with --backend, in one table, as NCCL keeps ncclTransports[]:
// each entry says its name, the memory spaces it moves, what this build lacks for it, how to make it
// for the ranks of an MPI communicator, and its library's all-reduce baseline. Adding a transport
// is its directory under src/transport/ and one entry in transports.cpp; nothing else names it.
//
// The in-process transport (--local N) is not an entry: it starts its ranks as threads rather
// than joining the ranks a launcher started.
#pragma once

#include <mpi.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "commsim/memory.hpp"
#include "commsim/transport.hpp"

namespace commsim {

// A transport made for one rank, with the memory space its buffers live in. The memory outlives
// the transport (members are destroyed in reverse order).
struct RankBackend {
  std::unique_ptr<MemorySpace> ownedMemory;  // device memory; null for host memory (hostMemory())
  std::unique_ptr<Transport> transport;
  MemorySpace& memory() const { return ownedMemory ? *ownedMemory : hostMemory(); }
};

struct TransportEntry {
  std::string_view name;     // what --backend names, and Transport::name() of what it makes
  std::string_view library;  // "MPI", "NCCL": in messages
  bool movesHost;            // host buffers too (the default memory then), not device buffers only
  std::string_view missing;  // empty when this build has it; else what it lacks, in words
  // Makes the transport on buffers of `memory` ("host" or "device") for the ranks of `comm`.
  // Collective over comm; throws UsageError, alike on every rank, when it cannot.
  RankBackend (*make)(MPI_Comm comm, std::string_view memory);
  // Its library's all-reduce, the baseline a run on it includes unless the user lists others
  // (Transport::libraryAllreduce makes it); and what a run on another transport lacks for it.
  std::string_view baseline;
  std::string_view baselineNeeds;  // "the MPI transport"
  std::string_view baselineHint;   // after the refusal, " (run it under mpirun)"

  std::string_view defaultMemory() const { return movesHost ? "host" : "device"; }
};

std::span<const TransportEntry> transportTable();
// The entry named `name`, or null.
const TransportEntry* findTransport(std::string_view name);
// "mpi, nccl": the names, for help and messages.
std::string transportNames();

// The transport `name` on `memory` for the ranks of `comm` (findTransport(name)->make).
RankBackend makeBackend(MPI_Comm comm, std::string_view name, std::string_view memory);

}  // namespace commsim
