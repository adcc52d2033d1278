// showroom_since.cpp: the Showroom feed's `since` (CONTRACT §9).
#include "core/showroom_since.hpp"

#include "core/clock.hpp"

namespace sorak {

result<std::optional<millis>> parse_showroom_since(std::optional<std::string_view> raw) {
  if (!raw || raw->empty()) return std::optional<millis>();
  auto t = parse_rfc3339(*raw);
  if (!t) return error(errc::invalid_since, "since must be an RFC 3339 timestamp");
  return std::optional<millis>(*t);
}

}  // namespace sorak
