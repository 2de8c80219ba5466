// Numbers on the command line (SPEC §9): plain integers and the binary suffixes K, M, G
// (also Ki, Mi, Gi), as nccl-tests reads them. Signs, decimals, exponents and overflow are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace commsim {

// Throws UsageError("<what>: '<text>' is not ...") on anything else.
std::uint64_t parseSize(std::string_view text, std::string_view what = "size");
// The same without throwing: nullopt, with *why (if given) set to "'<text>' <reason> (allowed: ...)".
std::optional<std::uint64_t> tryParseSize(std::string_view text, std::string* why = nullptr);

}  // namespace commsim
