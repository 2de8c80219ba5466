// Reading the YAML files commsim takes (topologies, workloads): every error names the file, and
// where YAML can tell, the line.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace commsim {

// The file's text. Throws UsageError "<path>: ..." when it is a directory or cannot be read;
// `what` names the kind of file, `shippedIn` where commsim's own are ("topologies/").
std::string readTextFile(const std::string& path, std::string_view what, std::string_view shippedIn);
// Throws UsageError "<source>:<line>: not valid YAML: ...".
YAML::Node parseYaml(std::string_view text, const std::string& source);

}  // namespace commsim
