// showroom_since.hpp: the `since` query parameter of the Showroom-style chat
// feed (CONTRACT §9: GET /api/jkt48/chat-stream-sr?since=…).
//
// Absent or empty → no lower bound (nullopt). Otherwise an RFC 3339 timestamp
// as parse_rfc3339 reads it (a timestamp without an offset, as the seed's
// Python sends, is UTC) → its milliseconds; anything else → 400
// `invalid_since`. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

result<std::optional<millis>> parse_showroom_since(std::optional<std::string_view> raw);

}  // namespace sorak
