// clock.hpp: wall-clock milliseconds and RFC 3339 text.
//
// All functions are pure or read the system clock; any thread may call them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sorak/types.hpp"

namespace sorak {

millis now_millis();
// "2026-04-25T10:05:30.123Z" (always UTC, always three fraction digits).
std::string format_rfc3339_ms(millis t);
// Accepts RFC 3339 with `Z` or a ±hh:mm offset, with or without fraction
// digits (any count; beyond milliseconds truncated), a space instead of `T`,
// and a timestamp without any offset, read as UTC (the seed's Python sends
// `datetime.isoformat()` like "2026-04-25T10:05:30.123456").
std::optional<millis> parse_rfc3339(std::string_view s);

}  // namespace sorak
