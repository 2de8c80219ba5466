// Starting ranks: threads in this process (--local N) or the processes of an MPI job, with the
// transport (MPI, NCCL) and the memory space (host, device) the user chose.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "commsim/memory.hpp"
#include "commsim/transport.hpp"

namespace commsim::cli {

// What --backend and --memory choose: the transport between ranks and where buffers live.
struct Backend {
  std::string transport = "mpi";  // a name of the transports table (--local: the in-process one)
  std::string memory;             // host | device; when not given: defaultMemory(transport)
};

// How a command's ranks start: the backend, or threads of this process, and the watchdog.
struct LaunchOptions {
  Backend backend;
  int local = 0;  // > 0: that many ranks as threads of this process (--local)
  // --timeout: seconds a rank may make no progress before the job is ended (0: never).
  std::string timeout = "300";
};

// Adds --backend, --memory, --local and --timeout to a command.
void addLaunchOptions(CLI::App* app, LaunchOptions& options);
// The memory space a run on `transport` takes when --memory is not given.
std::string defaultMemory(std::string_view transport);
// Refuses, before anything starts, a combination this build or this machine cannot run.
void validateLaunch(const LaunchOptions& options);

// The --timeout value in seconds (0 = off); UsageError unless a plain non-negative number.
double timeoutSeconds(const LaunchOptions& options);
// The same for any --timeout text: digits with an optional fraction, up to 1000000 (0 = off).
double parseTimeout(const std::string& text);
// Any option in seconds: digits with an optional fraction, from 0 to `most`; UsageError naming
// the option (`name`), the value and what is allowed, `zero` saying what 0 means.
double parseSeconds(const std::string& text, const char* name, double most, const char* zero);

// For options that CLI11 converts itself, so that a bad value is refused naming what is allowed,
// as every other option is (CLI11 alone says "Could not convert"). countOption: a count as SPEC §9
// reads it (digits, optionally K/M/G), rewritten to its digits for CLI11; at most INT_MAX. Use
// with ->transform(). realNumber: a finite decimal number; use with ->check().
CLI::Validator countOption();
CLI::Validator realNumber(std::string allowed);
// A count of repetitions (bench -w, -n, -c; calibrate --iters): digits only, from `least` to
// 1000000; `what` names them in the message ("timed steps"). Throws UsageError.
int parseRepetitions(const std::string& text, const char* name, int least, const char* what);

// Runs body on every rank and returns rank 0's exit status. UsageError (thrown alike on every
// rank) propagates after MPI is shut down cleanly; any other error on any rank prints its rank
// and aborts the whole MPI job with status 2, so no peer waits for it. A rank that makes no
// progress for the timeout (a dead or stopped peer, a lost network) ends the job alike, with a
// line naming the rank and what it waited for (docs/hardening.md).
int launch(ProcessArgs args, const LaunchOptions& options,
           const std::function<int(Transport&, MemorySpace&)>& body);

}  // namespace commsim::cli
