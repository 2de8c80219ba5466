#include "core/subprocess.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "commsim/error.hpp"

extern char** environ;

namespace commsim {

namespace {

// Ends a child's whole process group: SIGTERM, then SIGKILL if it is still there a second later;
// reaps the child.
void endProcessGroup(pid_t pid) {
  kill(-pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) break;
    usleep(10000);
  }
  kill(-pid, SIGKILL);       // also what it started, if that stayed
  waitpid(pid, nullptr, 0);  // returns at once when reaped above; WNOHANG here left a zombie
}

// In the child, before exec: drops the variables options.unsetPrefixes names.
void dropEnvironment(const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return;
  std::vector<std::string> names;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    for (const auto& p : prefixes)
      if (entry.compare(0, p.size(), p) == 0) names.push_back(entry.substr(0, entry.find('=')));
  }
  for (const auto& n : names) unsetenv(n.c_str());
}

}  // namespace

ChildRun runLogged(const std::vector<std::string>& argv, const std::string& log,
                   const ChildOptions& options) {
  COMMSIM_ENFORCE(!argv.empty(), "runLogged: no program");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot start " + argv[0] + ": fork failed (" + std::strerror(errno) + ")");
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so that a timeout ends it and all it started
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dropEnvironment(options.unsetPrefixes);
    for (const auto& [name, value] : options.setVariables) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot execute %s\n", args[0]);
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before any kill below
  int status = 0;
  rusage usage{};
  const double limit = options.timeoutS;
  const auto deadline = start + std::chrono::duration<double>(limit);
  for (;;) {
    const pid_t done = wait4(pid, &status, limit > 0 ? WNOHANG : 0, &usage);
    if (done == pid) break;
    if (done < 0) throw Error("waiting for " + argv[0] + " failed (" + std::strerror(errno) + ")");
    if (std::chrono::steady_clock::now() >= deadline) {
      endProcessGroup(pid);
      return ChildRun{.timedOut = true};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(limit < 1 ? 1 : 20));
  }
  ChildRun r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peakRssKiB = usage.ru_maxrss;
  return r;
}

}  // namespace commsim
