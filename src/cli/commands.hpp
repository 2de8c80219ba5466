// The commsim subcommands. Each lives in its own file and registers itself here; main() only
// dispatches, and maps exceptions to exit statuses (SPEC §7).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace commsim::cli {

struct ProcessArgs {
  int* argc;
  char*** argv;
};

struct Command {
  CLI::App* app;
  std::function<int(ProcessArgs)> run;  // returns the exit status
};

// Registration functions, one per subcommand file.
void addTableCommand(CLI::App& root, std::vector<Command>& commands);
void addBenchCommand(CLI::App& root, std::vector<Command>& commands);
void addPredictCommand(CLI::App& root, std::vector<Command>& commands);
void addSimulateCommands(CLI::App& root, std::vector<Command>& commands);  // simulate, platform
void addCalibrateCommand(CLI::App& root, std::vector<Command>& commands);
void addListCommand(CLI::App& root, std::vector<Command>& commands);
void addValidateCommand(CLI::App& root, std::vector<Command>& commands);
void addTrainCommand(CLI::App& root, std::vector<Command>& commands);

// The rank the launcher gave this process (Open MPI, PMIx, PMI, Slurm), 0 if none. Lets bad input
// be reported once, by rank 0, before MPI is initialised.
int launcherRank();
// Whether this process prints a bad-input message: rank 0 does; before MPI starts, so does the
// first rank of each further program of an MPMD launch (mpirun A : B), whose options may differ.
bool reportsBadInput();
// Prints `what` as the job's one bad-input line if this process reportsBadInput().
void reportBadInput(const std::string& what);
// Thrown once bad input has been reported (under MPI, before MPI_Finalize: a peer's exit status 2
// may make the launcher end the job before rank 0 could print afterwards).
struct BadInputReported {};

}  // namespace commsim::cli
