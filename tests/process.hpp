// Runs a real program (the commsim binary, mpirun) and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace commsim::test {

struct ProcessResult {
  int status = -1;  // exit status; 128+signal if killed by a signal
  bool timedOut = false;
  std::string out;
  std::string err;
};

ProcessResult runProcess(const std::vector<std::string>& argv, int timeoutSeconds = 120);

// mpirun -np W with what this machine needs (oversubscription; --allow-run-as-root as root).
std::vector<std::string> mpirun(int ranks);

// argv for the commsim binary under test, followed by args.
std::vector<std::string> commsim(std::vector<std::string> args);

}  // namespace commsim::test
