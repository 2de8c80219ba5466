// The MPI_Allreduce baseline on a communicator, for the MPI transports on host and device buffers.
#pragma once

#include <mpi.h>

#include <memory>

#include "commsim/paradigm.hpp"

namespace commsim {

// The baseline over the ranks of `comm`, `rank` being this rank's; its workers take part as
// `layout` says (collective over comm: it splits off a communicator of the workers).
std::unique_ptr<Paradigm> makeMpiAllreduce(MPI_Comm comm, int rank, const Layout& layout);

}  // namespace commsim
