#include "core/files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "commsim/error.hpp"

namespace commsim {

void ensureWritable(const std::string& path, std::string_view option) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError(std::string(option) + ": cannot write '" + path +
                     "': it is a directory (allowed: a file path in a writable directory)");
  const std::string probe = path + ".commsim-probe";
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (!f)
    throw UsageError(std::string(option) + ": cannot write '" + path + "': " + std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
}

void writeFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error("cannot write '" + tmp + "': " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw Error("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(err));
  }
}

}  // namespace commsim
