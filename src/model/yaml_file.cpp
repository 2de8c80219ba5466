#include "yaml_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commsim/error.hpp"

namespace commsim {

std::string readTextFile(const std::string& path, std::string_view what, std::string_view shippedIn) {
  const std::string shipped = "; shipped ones are in " + std::string(shippedIn);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError(path + ": is a directory, not a " + std::string(what) + shipped);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UsageError(path + ": cannot read the " + std::string(what) + " (" +
                     std::strerror(errno) + ")" + shipped);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

YAML::Node parseYaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw UsageError(source + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
}

}  // namespace commsim
