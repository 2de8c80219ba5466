// Output files written whole or not at all, and refused before any work when they cannot be
// written. Shared by the commands and by commsim-smpi.
#pragma once

#include <string>
#include <string_view>

namespace commsim {

// Fails with UsageError, before any work, when `path` cannot be created (no directory, no
// permission), so a long run does not end without its output. `option` names it in the message.
void ensureWritable(const std::string& path, std::string_view option);
// Writes through a temporary file in the same directory renamed into place: the file is whole or
// absent.
void writeFileAtomically(const std::string& path, const std::string& content);

}  // namespace commsim
