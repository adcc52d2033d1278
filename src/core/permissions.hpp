// permissions.hpp: who may do what to whom in a stream (CONTRACT §6), as one
// table.
//
// A role is what a caller (or the target of an action) is in one stream: the
// admin key, the broadcaster (owner), a moderator or VIP (granted by the
// broadcaster), a subscriber (the token's global badge) or a plain viewer. A
// moderator of another stream is a viewer here. The table in permissions.cpp
// lists, for each action, the actor roles allowed and, for actions with a
// target user, the target roles each of them may act on. Nothing else in the
// code base decides these questions.
//
// Pure functions over constant data; any thread.
#pragma once

#include <optional>
#include <string_view>

namespace sorak {

enum class stream_role { admin, broadcaster, moderator, vip, subscriber, viewer };

enum class mod_action {
  grant_badge,      // POST …/moderators
  revoke_badge,     // DELETE …/moderators/{user_id}
  list_badges,      // GET …/moderators, GET …/users/{user_id}/badges
  delete_message,   // DELETE …/chat/messages/{id}; the target is the message's author
  timeout,          // POST …/timeouts
  untimeout,        // DELETE …/timeouts/{user_id}
  ban,              // POST …/bans
  unban,            // DELETE …/bans/{user_id}
  list_sanctions,   // GET …/timeouts, GET …/bans
  read_settings,    // GET …/chat/settings
  change_settings,  // PATCH …/chat/settings
  read_log,         // GET …/moderation/log
  manage_terms,     // GET, POST, DELETE …/chat/blocked-terms
  pin,              // POST, DELETE …/chat/pin
  manage_polls,     // POST …/polls, POST …/polls/{id}/close
};

// May `actor` perform `action` on someone at all? (Checked before looking
// the target up, so a caller who may never do it learns nothing about it.)
bool may_perform(stream_role actor, mod_action action);
// May `actor` perform `action` on a user whose role is `target`? For actions
// without a target, the same as may_perform.
bool may_perform_on(stream_role actor, mod_action action, stream_role target);

// The chat settings and limits some roles are exempt from (CONTRACT §6: the
// broadcaster and moderators from all of them (blocked terms too, as on
// Twitch), VIPs from slow mode; the
// privileged rate-limit tier is the broadcaster's and the moderators').
enum class chat_rule { chat_disabled, subscribers_only, slow_mode, user_rate_limit, blocked_terms };
bool is_exempt(stream_role sender, chat_rule rule);

const char* to_string(stream_role r);
const char* to_string(mod_action a);

}  // namespace sorak
