#include "commsim/error.hpp"

#include <cstring>

namespace commsim::detail {

[[noreturn]] void throwError(const char* file, int line, const std::string& what) {
  const char* base = std::strrchr(file, '/');
  std::ostringstream os;
  os << (base ? base + 1 : file) << ':' << line << ": " << what;
  throw Error(os.str());
}

}  // namespace commsim::detail
