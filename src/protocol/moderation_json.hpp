// moderation_json.hpp: the moderation model ⇄ the JSON of CONTRACT §6 and
// seed 004 (moderators list, timeouts, bans, the log, chat settings).
//
// One place decides these field names. Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "sorak/types.hpp"

namespace sorak {

// Seed 004: {id, user_id, username, badge_type, granted_at}.
boost::json::object to_json(const badge_grant& g);
// {id, user_id, username, reason, moderator_id, created_at} plus, for a
// timeout, expires_at, duration_seconds and seconds_left (at `now`).
boost::json::object to_json(const sanction& s, std::string_view username, millis now);
// {id, action, moderator_id, target_user_id, message_id, reason,
// duration_seconds, created_at}; absent parts are null.
boost::json::object to_json(const moderation_action& a);

}  // namespace sorak
