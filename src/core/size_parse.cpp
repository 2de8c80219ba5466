#include "core/size_parse.hpp"

#include <limits>
#include <string>

#include "commsim/error.hpp"

namespace commsim {

namespace {

std::string refusal(std::string_view text, std::string_view reason) {
  std::string why(1, '\'');
  why += printable(text);
  why += "' ";
  why += reason;
  why += " (allowed: a whole number, optionally followed by K, M or G, powers of 1024;"
         " e.g. 1000000, 64K, 1M)";
  return why;
}

}  // namespace

std::optional<std::uint64_t> tryParseSize(std::string_view text, std::string* why) {
  auto refuse = [&](std::string_view reason) -> std::optional<std::uint64_t> {
    if (why) *why = refusal(text, reason);
    return std::nullopt;
  };
  if (text.empty()) return refuse("is empty");
  std::size_t i = 0;
  std::uint64_t value = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) return refuse("is too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return refuse("is not a whole number");
  std::string_view suffix = text.substr(i);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: return refuse("has an unknown suffix");
    }
    suffix.remove_prefix(1);
    if (suffix == "i") suffix.remove_prefix(1);
    if (!suffix.empty()) return refuse("has an unknown suffix");
  }
  if (shift && value > (kMax >> shift)) return refuse("is too large");
  return value << shift;
}

std::uint64_t parseSize(std::string_view text, std::string_view what) {
  std::string why;
  if (const auto value = tryParseSize(text, &why)) return *value;
  throw UsageError(std::string(what) + ": " + why);
}

}  // namespace commsim
