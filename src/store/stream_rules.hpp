// stream_rules.hpp: what every store does the same way to a stream (and the
// errors its moderation operations give), so the
// implementations cannot drift apart. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "sorak/store.hpp"

namespace sorak {

// Room ids are assigned from here up (CONTRACT §2).
inline constexpr std::int64_t first_room_id = 100001;

// Applies a patch to a stream. Ending sets ended_at once: ending twice keeps
// the first end time, which is when viewers saw it end.
void apply_stream_patch(stream& s, const stream_patch& p);

// The moderation errors every store answers with.
error badge_not_found();
error sanction_not_found(sanction_kind kind);

}  // namespace sorak
