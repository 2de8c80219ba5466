// libFuzzer target for the command-line size parser (SPEC §9). For every input, parseSize must
// either return exactly what an independent reference computes, or throw UsageError exactly when
// the reference refuses the text; nothing else may escape, and sanitizers must stay quiet.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "commsim/error.hpp"
#include "core/size_parse.hpp"

namespace {

// The reference: digits, then nothing or one of K M G Ki Mi Gi; computed in 128 bits, so
// overflow is a comparison, not a guard. Written without looking at the parser's loop.
std::optional<std::uint64_t> reference(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  const std::string_view suffix = text.substr(digits);
  int shift = -1;
  if (suffix.empty()) shift = 0;
  if (suffix == "K" || suffix == "Ki") shift = 10;
  if (suffix == "M" || suffix == "Mi") shift = 20;
  if (suffix == "G" || suffix == "Gi") shift = 30;
  if (shift < 0) return std::nullopt;
  constexpr unsigned __int128 kMax = UINT64_MAX;
  unsigned __int128 value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
    if (value > kMax) return std::nullopt;  // stays far below 2^128 before the check
  }
  value <<= shift;
  if (value > kMax) return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

[[noreturn]] void fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "size_parse_fuzz: %s for input '%.*s'\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto expected = reference(text);
  try {
    const std::uint64_t got = commsim::parseSize(text, "size");
    if (!expected) fail("accepted what the reference refuses", text);
    if (got != *expected) fail("value differs from the reference", text);
  } catch (const commsim::UsageError& e) {
    if (expected) fail("refused what the reference accepts", text);
    const std::string message = e.what();
    if (message.rfind("size: '", 0) != 0 || message.find("allowed") == std::string::npos)
      fail("message does not name the value and what is allowed", text);
    for (const char c : message)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        fail("message carries a control character (it must stay one printable line)", text);
  }
  return 0;
}
