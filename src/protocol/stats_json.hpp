// stats_json.hpp: the analytics JSON of GET /api/v1/streams/{id}/stats and the
// gift leaderboard (CONTRACT §7, §10; docs/api.md). Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <vector>

#include "core/stream_stats.hpp"
#include "sorak/types.hpp"

namespace sorak {

// The Showroom stats fields, then: stream_id, room_id, status, started_at,
// ended_at, duration, viewers, peak_viewers, chat_messages, timeline
// [{minute, messages, gifts, stars, viewers}], top_chatters [{user, messages}],
// top_gifters [{user, stars, gifts}], gifts [{gift_id, gift_name, count,
// messages, total_stars}].
boost::json::object stream_stats_json(const stats_snapshot& st, const stream& s, std::int64_t viewers, millis now);
// {"leaderboard": [{user, stars, gifts}]}, most stars first.
boost::json::object leaderboard_json(const std::vector<user_tally>& gifters);

}  // namespace sorak
