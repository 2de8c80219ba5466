#include "commsim/size_parse.hpp"

#include <limits>
#include <string>

#include "commsim/error.hpp"

namespace commsim {

namespace {

[[noreturn]] void bad(std::string_view text, std::string_view what, std::string_view why) {
  throw UsageError(std::string(what) + ": '" + printable(text) + "' " + std::string(why) +
                   " (allowed: a whole number, optionally followed by K, M or G, powers of 1024;"
                   " e.g. 1000000, 64K, 1M)");
}

}  // namespace

std::uint64_t parseSize(std::string_view text, std::string_view what) {
  if (text.empty()) bad(text, what, "is empty");
  std::size_t i = 0;
  std::uint64_t value = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) bad(text, what, "is too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) bad(text, what, "is not a whole number");
  std::string_view suffix = text.substr(i);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: bad(text, what, "has an unknown suffix");
    }
    suffix.remove_prefix(1);
    if (suffix == "i") suffix.remove_prefix(1);
    if (!suffix.empty()) bad(text, what, "has an unknown suffix");
  }
  if (shift && value > (kMax >> shift)) bad(text, what, "is too large");
  return value << shift;
}

}  // namespace commsim
