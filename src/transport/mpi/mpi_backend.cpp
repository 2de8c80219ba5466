// The MPI transport's table entry's maker (transports.cpp): host buffers go to MPI directly,
// device buffers through the device MPI transport (a CUDA build; without one, a UsageError).
#include <memory>

#include "transport/mpi/mpi_transport.hpp"
#include "transport/transports.hpp"

namespace commsim {

RankBackend makeDeviceMpiBackend(MPI_Comm comm);  // device_mpi_transport.cpp, or no CUDA

RankBackend makeMpiBackend(MPI_Comm comm, std::string_view memory) {
  if (memory == "device") return makeDeviceMpiBackend(comm);
  RankBackend b;
  b.transport = std::make_unique<MpiTransport>(comm);
  return b;
}

}  // namespace commsim
