// Running a child program to completion with its output in a log file, a time limit, and its
// whole process group ended on expiry (smpirun is a script that starts the simulator; `validate`
// runs `commsim simulate`, which runs smpirun).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace commsim {

struct ChildRun {
  bool timedOut = false;
  int status = -1;       // exit status, or 128 + the signal that ended it
  double wallS = 0;
  long peakRssKiB = 0;   // the largest resident set of the child and what it waited for
};

struct ChildOptions {
  double timeoutS = 0;  // 0: no limit
  // Environment variables whose names start with one of these are removed in the child: a
  // launcher's (OMPI_, PMIX_) would make a program started from an MPI rank think it is one.
  std::vector<std::string> unsetPrefixes;
  // Variables set in the child (after the removals), as name and value.
  std::vector<std::pair<std::string, std::string>> setVariables;
};

// Runs argv (argv[0] looked up in PATH) with stdin from /dev/null and stdout and stderr into
// `log`, in a process group of its own; waits for it, no longer than the time limit. Throws Error
// when it cannot be started or waited for.
ChildRun runLogged(const std::vector<std::string>& argv, const std::string& log,
                   const ChildOptions& options = {});

}  // namespace commsim
