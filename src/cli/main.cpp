// commsim: run, count, check and time gradient synchronisation.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "commsim/error.hpp"

namespace {

// Exit status 2 for bad input. A rank that left the report to another (rank 0, or its program's
// first rank) exits a moment later: under mpirun the first non-zero exit ends the job, which
// could otherwise take the reporting rank down before its line is out.
int badInputExit() {
  if (commsim::cli::launcherRank() > 0 && !commsim::cli::reportsBadInput())
    std::this_thread::sleep_for(std::chrono::seconds(1));
  return commsim::kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace commsim;
  CLI::App app{"commsim: gradient synchronisation over MPI and NCCL, counted, checked and timed"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "commsim 0.1.0");
  std::vector<cli::Command> commands;
  cli::addTableCommand(app, commands);
  cli::addBenchCommand(app, commands);
  cli::addTrainCommand(app, commands);
  cli::addPredictCommand(app, commands);
  cli::addSimulateCommands(app, commands);
  cli::addCalibrateCommand(app, commands);
  cli::addValidateCommand(app, commands);
  cli::addListCommand(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (cli::launcherRank() == 0) app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    if (cli::launcherRank() == 0) app.exit(e);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    if (cli::launcherRank() == 0) app.exit(e);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // CLI11 only says a subcommand is required; name the word that was not one.
    if (argc > 1 && argv[1][0] != '-' && !app.get_subcommands().size()) {
      std::string allowed;
      for (const auto* sub : app.get_subcommands({})) allowed += (allowed.empty() ? "" : ", ") + sub->get_name();
      cli::reportBadInput(("'" + std::string(argv[1]) + "' is not a command (allowed: " + allowed + ")").c_str());
    } else if (dynamic_cast<const CLI::ExtrasError*>(&e) && !app.get_subcommands().empty()) {
      const std::string help = "commsim " + app.get_subcommands().front()->get_name() + " --help";
      cli::reportBadInput((std::string(e.what()) + " (" + help + " lists the options)").c_str());
    } else {
      cli::reportBadInput(e.what());
    }
    return badInputExit();
  }

  for (auto& c : commands) {
    if (c.app->parsed()) {
      try {
        return c.run(cli::ProcessArgs{&argc, &argv});
      } catch (const UsageError& e) {
        cli::reportBadInput(e.what());
        return badInputExit();
      } catch (const cli::BadInputReported&) {
        return badInputExit();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "commsim: error: %s\n", e.what());
        return kExitBadInput;
      }
    }
  }
  return kExitBadInput;
}
