// Library collectives that the paradigms are compared with, on the NCCL transport.
#include <string>

#include "commsim/device.hpp"
#include "commsim/error.hpp"
#include "nccl_transport.hpp"

namespace commsim {

bool isNcclTransport(const Transport& transport) {
  return dynamic_cast<const NcclTransport*>(&transport) != nullptr;
}

void ncclAllReduceSum(Transport& transport, const void* send, void* recv, std::uint64_t count,
                      DType dtype) {
  auto* nccl = dynamic_cast<NcclTransport*>(&transport);
  if (!nccl)
    throw UsageError("baseline: ncclAllReduce needs --backend nccl (this run's transport is " +
                     std::string(transport.name()) + ")");
  nccl->allReduceSum(send, recv, count, dtype);
}

}  // namespace commsim
