// The ncclAllReduce baseline: NCCL's all-reduce (sum) of every worker's gradient into its result
// buffer, then the division by n, on the same device buffers the paradigms use, like the
// mpi-allreduce baseline beside the MPI transport. When a dedicated parameter-server rank idles,
// it runs on a communicator of the workers alone (ncclCommSplit), so it averages the same n
// gradients as every paradigm of the run. Its messages are NCCL's and are not counted.
#include <memory>
#include <string>

#include "commsim/baseline.hpp"
#include "nccl_transport.hpp"

namespace commsim {

namespace {

class NcclAllreduce final : public LibraryAllreduce {
 public:
  NcclAllreduce(NcclTransport& t, const Layout& layout)
      : transport_(t), comm_(t.workersComm(layout.workers)) {}

  std::string_view name() const override { return "nccl-allreduce"; }

  void run(StepContext& c) const override {
    if (!c.layout.isWorker(transport_.rank())) return;
    transport_.allReduceSum(c.grad, c.out, c.count, c.dtype, comm_);
    c.memory.divide(c.out, c.count, c.dtype, c.layout.workers);
  }

 private:
  NcclTransport& transport_;
  ncclComm_t comm_;  // owned by the transport
};

}  // namespace

BaselineOffer NcclTransport::libraryAllreduce(const MemorySpace& /*memory*/, const Layout& layout) {
  return {std::make_unique<NcclAllreduce>(*this, layout), ""};
}

}  // namespace commsim
