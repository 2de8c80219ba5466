// Starting ranks: threads in this process (--local N) or the processes of an MPI job.
#pragma once

#include <functional>

#include "commands.hpp"
#include "commsim/transport.hpp"

namespace commsim::cli {

// Runs body on every rank and returns rank 0's exit status. With localRanks > 0 the ranks are
// threads over the in-process transport; otherwise MPI is initialised and every process of the
// job is a rank. UsageError (thrown alike on every rank) propagates after MPI is shut down
// cleanly; any other error on any rank prints its rank and aborts the whole MPI job with status
// 2, so no peer waits for it.
int launch(ProcessArgs args, int localRanks, const std::function<int(Transport&)>& body);

}  // namespace commsim::cli
