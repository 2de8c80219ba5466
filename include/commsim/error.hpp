// Errors that say where and why, and the exit status each kind maps to (SPEC §7).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace commsim {

// Exit statuses of the commsim command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;   // wrong result or count mismatch
inline constexpr int kExitBadInput = 2;      // bad input or environment

// Bad input from the user: the message names the value and what is allowed. Exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure of the environment or of a library call (MPI, CUDA, NCCL, the OS). Exit status 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `text` with every control character (newline, escape, NUL, ...) written as \xHH, so a value
// quoted in a message cannot break its one line or drive the terminal.
std::string printable(std::string_view text);

namespace detail {
[[noreturn]] void throwError(const char* file, int line, const std::string& what);
}  // namespace detail

}  // namespace commsim

// COMMSIM_ENFORCE(cond, message-stream) throws commsim::Error with file:line and the condition.
#define COMMSIM_ENFORCE(cond, msg)                                                    \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::ostringstream commsim_enforce_os_;                                         \
      commsim_enforce_os_ << "check failed: " #cond ": " << msg;                      \
      ::commsim::detail::throwError(__FILE__, __LINE__, commsim_enforce_os_.str());   \
    }                                                                                 \
  } while (0)

// COMMSIM_ENFORCE_EQ(a, b, message-stream) also shows both values.
#define COMMSIM_ENFORCE_EQ(a, b, msg)                                                 \
  do {                                                                                \
    const auto& commsim_a_ = (a);                                                     \
    const auto& commsim_b_ = (b);                                                     \
    if (!(commsim_a_ == commsim_b_)) {                                                \
      std::ostringstream commsim_enforce_os_;                                         \
      commsim_enforce_os_ << "check failed: " #a " == " #b " (" << commsim_a_         \
                          << " vs " << commsim_b_ << "): " << msg;                    \
      ::commsim::detail::throwError(__FILE__, __LINE__, commsim_enforce_os_.str());   \
    }                                                                                 \
  } while (0)
