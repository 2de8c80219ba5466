// The MPI_Allreduce baseline: the library's all-reduce (sum) of every worker's gradient into its
// result buffer, then the division by n, on the same buffers the paradigms use. It runs on a
// communicator of the workers only, so it averages the same n gradients as every paradigm of the
// run while a dedicated parameter-server rank idles, as it does during the ring.
#include <algorithm>
#include <climits>

#include "commsim/baseline.hpp"
#include "commsim/error.hpp"
#include "transport/mpi/mpi_transport.hpp"
#include "mpi_baselines.hpp"

namespace commsim {

namespace {

MPI_Datatype mpiType(DType t) {
  switch (t) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    default: break;
  }
  throw UsageError("dtype: " + std::string(dtypeName(t)) +
                   " is not supported by mpi-allreduce (allowed: float32, float64)");
}

class MpiAllreduce final : public LibraryAllreduce {
 public:
  MpiAllreduce(MPI_Comm comm, int rank, const Layout& layout) {
    const int color = layout.isWorker(rank) ? 0 : MPI_UNDEFINED;
    COMMSIM_MPI_CHECK(MPI_Comm_split(comm, color, rank, &workers_));
    if (workers_ != MPI_COMM_NULL)
      COMMSIM_MPI_CHECK(MPI_Comm_set_errhandler(workers_, MPI_ERRORS_RETURN));
  }
  ~MpiAllreduce() override {
    if (workers_ != MPI_COMM_NULL) MPI_Comm_free(&workers_);
  }
  MpiAllreduce(const MpiAllreduce&) = delete;
  MpiAllreduce& operator=(const MpiAllreduce&) = delete;

  std::string_view name() const override { return "mpi-allreduce"; }

  void run(StepContext& c) const override {
    if (workers_ == MPI_COMM_NULL) return;
    const MPI_Datatype type = mpiType(c.dtype);
    // MPI counts are ints; a baseline's messages are not counted, so pieces change nothing.
    constexpr std::uint64_t kPiece = INT_MAX;
    c.memory.synchronize();  // device buffers: the kernels that wrote them are done
    for (std::uint64_t done = 0; done < c.count;) {
      const std::uint64_t n = std::min(c.count - done, kPiece);
      COMMSIM_MPI_CHECK(MPI_Allreduce(c.at(c.grad, done), c.at(c.out, done), static_cast<int>(n),
                                      type, MPI_SUM, workers_));
      done += n;
    }
    c.memory.divide(c.out, c.count, c.dtype, c.layout.workers);
  }

 private:
  MPI_Comm workers_ = MPI_COMM_NULL;
};

}  // namespace

std::unique_ptr<Paradigm> makeMpiAllreduce(MPI_Comm comm, int rank, const Layout& layout) {
  return std::make_unique<MpiAllreduce>(comm, rank, layout);
}

BaselineOffer MpiTransport::libraryAllreduce(const MemorySpace& memory, const Layout& layout) {
  // Every rank decides alike (one transport and memory space per run), so no rank is left
  // waiting in MPI_Comm_split.
  if (memory.isDevice())
    return {nullptr, "mpi-allreduce runs on host buffers; this run's are in " +
                         std::string(memory.name()) + " memory"};
  return {makeMpiAllreduce(comm(), rank(), layout), ""};
}

}  // namespace commsim
