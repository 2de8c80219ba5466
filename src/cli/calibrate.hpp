// What `commsim calibrate` measures, for the commands that calibrate as a step of their own
// (`validate`): the machine's topology file, measured on the ranks at hand.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "commsim/memory.hpp"
#include "commsim/transport.hpp"
#include "output.hpp"

namespace commsim::cli {

struct Calibration {
  std::string yaml;     // the topology file, its comments holding every measurement
  Json json;            // the measurements (calibrate --json)
  std::string summary;  // a few lines: the links' latency and bandwidth, gamma
  // The same file with write_after_send fitted to `times` instead (the whole pass's surcharge,
  // seconds, at calibratedPassSizes): what `validate` predicts a size with after measuring it
  // again (writeAfterSendTimes).
  std::function<std::string(std::span<const double> times)> withWriteAfterSend;
};

// The pass sizes calibrateRanks times the memory passes at for a largest message of `largest`:
// every probe size from 64 KiB (the costs' curves, write_after_send's among them, are by these).
std::vector<std::uint64_t> calibratedPassSizes(std::uint64_t largest);

// write_after_send measured again on its own, as calibrateRanks measures it: per pass size, the
// whole pass's surcharge for summing into what the peer has just read, seconds. Collective; every
// rank gets the figures. The machine's state moves it (docs/validation.md), so `validate`
// measures it again before each size's steps.
std::vector<double> writeAfterSendTimes(Transport& transport, MemorySpace& memory,
                                        std::span<const std::uint64_t> passSizes, int iterations);

// Collective: every rank calls it with the same arguments; the result is filled on rank 0 only.
// `largest` is at least 64 KiB (callers check), the largest message exchanged.
Calibration calibrateRanks(Transport& transport, MemorySpace& memory, std::uint64_t largest,
                           int iterations, const std::string& name);

}  // namespace commsim::cli
