// showroom_json.hpp: the Showroom-style API's JSON (seed 000, CONTRACT §9).
//
// Field names and types exactly as the seed shows them, which differ from
// Sorak's own objects: a message's text is `message`, its time `timestamp`,
// its type `chat` | `gift`, its gift `gifts`; a user's id is `user_id` and its
// picture `avatar`. Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "core/stream_stats.hpp"
#include "sorak/types.hpp"

namespace sorak {

// {id, user {user_id, username, display_name, avatar, level, is_premium},
//  message, timestamp, type, gifts, stars}
boost::json::object showroom_message(const message& m);
// {name, nickname, team}; empty strings when the stream names no member (the
// seed's clients read member.name without a check).
boost::json::object showroom_member(const stream& s);
// The span a stream has run: started_at to ended_at, or to `now`.
millis stream_elapsed(const stream& s, millis now);
// {room_id, room_name, title, status, viewers, duration "HH:MM:SS", member}
boost::json::object showroom_stream_info(const stream& s, std::int64_t viewers, millis now);
// {total_messages, unique_users, messages_per_minute, total_stars, gift_count, top_gifts}
boost::json::object showroom_stats(const stats_snapshot& st, const stream& s, millis now);

}  // namespace sorak
