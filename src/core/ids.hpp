// ids.hpp: time-ordered unique ids (UUID version 7, RFC 9562).
//
// new_uuid_v7() may be called from any thread. Ids made by one process are
// strictly increasing as strings (lowercase hex, 8-4-4-4-12), even within one
// millisecond and across threads, and unique.
#pragma once

#include <string>
#include <string_view>

#include "sorak/types.hpp"

namespace sorak {

std::string new_uuid_v7();
// The millisecond timestamp embedded in a v7 id, or -1 if `id` is not one.
millis uuid_v7_millis(std::string_view id);
// True for any canonical lowercase or uppercase 8-4-4-4-12 hex UUID.
bool looks_like_uuid(std::string_view s);

}  // namespace sorak
