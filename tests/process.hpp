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

// A program started in its own process group, to be waited for later (fault tests act on it
// while it runs). Its output is read when waited for, so it should print little before.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv);
  ~Process();  // kills the group if never waited for
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int pid() const { return pid_; }
  bool running() const;  // not yet exited (a zombie counts as exited)
  ProcessResult wait(int timeoutSeconds);

 private:
  int pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool waited_ = false;
};

// The pid of the process with OMPI_COMM_WORLD_RANK=rank among the children of `parent`
// (mpirun), waiting up to timeoutSeconds for it to appear; -1 if it does not.
int findRankPid(int parent, int rank, int timeoutSeconds);
// Resident memory of a process in KiB (0 if it is gone).
long residentKiB(int pid);

// mpirun -np W with what this machine needs (oversubscription; --allow-run-as-root as root).
std::vector<std::string> mpirun(int ranks);

// argv for the commsim binary under test, followed by args.
std::vector<std::string> commsim(std::vector<std::string> args);

}  // namespace commsim::test
