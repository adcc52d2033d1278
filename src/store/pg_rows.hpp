// pg_rows.hpp: how streams, messages, users and the moderation records map to
// PostgreSQL rows.
//
// Internal to src/store/. The column lists below and the add_/read_ functions
// are one mapping: a query selects PG_*_COLUMNS and reads each row with
// read_*(); an insert lists the same columns and adds them with add_*() as
// parameters $1, $2, … in that order. Pure functions; any thread.
#pragma once

#include <vector>

#include "sorak/types.hpp"
#include "store/pg_conn.hpp"

#define PG_STREAM_COLUMNS                                                                           \
  "id, room_id, broadcaster_user_id, room_name, title, member_name, member_nickname, member_team, " \
  "status, created_at, started_at, ended_at, slow_mode_seconds, max_message_length, "               \
  "subscribers_only, chat_enabled, playback_url"

// stream_seq last: the columns before it are what the append brings.
#define PG_MESSAGE_COLUMNS                                                                  \
  "id, stream_id, user_id, username, display_name, avatar_url, level, is_premium, badges, " \
  "content, type, gift_id, gift_name, gift_quantity, gift_total_stars, stars, reply_to, "   \
  "created_at, client_id, deleted, stream_seq"

#define PG_USER_COLUMNS "id, username, display_name, avatar_url, level, is_premium, badges"
#define PG_BADGE_COLUMNS "stream_id, user_id, id, badge, granted_by, granted_at"
#define PG_SANCTION_COLUMNS "stream_id, user_id, kind, id, reason, moderator_id, created_at, expires_at"
#define PG_ACTION_COLUMNS \
  "id, stream_id, action, moderator_id, target_user_id, message_id, reason, duration_seconds, created_at"
#define PG_API_KEY_COLUMNS "id, name, key_hash, prefix, created_at, revoked_at"

namespace sorak::pg {

void add_stream(pg_params& p, const stream& s);
stream read_stream(const result_set& r, int row);

// The 21 values of PG_MESSAGE_COLUMNS, m.seq as stream_seq.
void add_message(pg_params& p, const message& m);
message read_message(const result_set& r, int row);
std::vector<message> read_messages(const result_set& r);
// The same 21 columns for many messages: one array parameter per column, in
// the order of PG_MESSAGE_COLUMNS, for INSERT … SELECT * FROM unnest(…).
pg_params message_arrays(const std::vector<const message*>& ms);

void add_user(pg_params& p, const user_profile& u);
user_profile read_user(const result_set& r, int row);

void add_badge(pg_params& p, const badge_grant& g);
badge_grant read_badge(const result_set& r, int row);  // username left empty
void add_sanction(pg_params& p, const sanction& s);
sanction read_sanction(const result_set& r, int row);
void add_action(pg_params& p, const moderation_action& a);
moderation_action read_action(const result_set& r, int row);
void add_api_key(pg_params& p, const api_key& k);
api_key read_api_key(const result_set& r, int row);

}  // namespace sorak::pg
