#include "commsim/size_parse.hpp"

#include <limits>
#include <string>

#include "commsim/error.hpp"

namespace commsim {

namespace {

struct Refusal {
  std::string why;
};

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw Refusal{"'" + printable(text) + "' " + std::string(why) +
                " (allowed: a whole number, optionally followed by K, M or G, powers of 1024;"
                " e.g. 1000000, 64K, 1M)"};
}

std::uint64_t parse(std::string_view text) {
  if (text.empty()) bad(text, "is empty");
  std::size_t i = 0;
  std::uint64_t value = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) bad(text, "is too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) bad(text, "is not a whole number");
  std::string_view suffix = text.substr(i);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: bad(text, "has an unknown suffix");
    }
    suffix.remove_prefix(1);
    if (suffix == "i") suffix.remove_prefix(1);
    if (!suffix.empty()) bad(text, "has an unknown suffix");
  }
  if (shift && value > (kMax >> shift)) bad(text, "is too large");
  return value << shift;
}

}  // namespace

std::uint64_t parseSize(std::string_view text, std::string_view what) {
  try {
    return parse(text);
  } catch (const Refusal& r) {
    throw UsageError(std::string(what) + ": " + r.why);
  }
}

std::optional<std::uint64_t> tryParseSize(std::string_view text, std::string* why) {
  try {
    return parse(text);
  } catch (const Refusal& r) {
    if (why) *why = r.why;
    return std::nullopt;
  }
}

}  // namespace commsim
