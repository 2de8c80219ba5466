// The in-process transport: ranks are threads of one process. Used by fast unit tests and by
// `commsim ... --local N`, a run that needs no launcher. Sends are rendezvous (a send completes
// when its receive has copied it), the strictest semantics MPI allows, so a paradigm that
// deadlocks here would deadlock somewhere under MPI too.
#pragma once

#include <functional>

#include "commsim/transport.hpp"

namespace commsim {

// Runs body(transport) on `ranks` threads, one in-process transport each, and joins them. If a
// rank throws, the others are woken with an error instead of waiting forever, and the first
// exception is rethrown here.
void runInProcess(int ranks, const std::function<void(Transport&)>& body);

}  // namespace commsim
