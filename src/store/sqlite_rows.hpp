// sqlite_rows.hpp: how streams, messages and users map to table rows.
//
// Internal to src/store/. The column lists below and the bind_/read_ functions
// are one mapping: a query selects SORAK_*_COLUMNS and reads the row with
// read_*(); an insert lists the same columns and binds them with bind_*() as
// parameters ?1, ?2, … in that order. Pure functions; any thread.
#pragma once

#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"
#include "store/sqlite_db.hpp"

// Macros, not constants, so every query stays one string literal: statements
// are cached by the literal's text.
#define SORAK_STREAM_COLUMNS                                                                         \
  "id, room_id, broadcaster_user_id, room_name, title, member_name, member_nickname, member_team, " \
  "status, created_at, started_at, ended_at, slow_mode_seconds, max_message_length, "              \
  "subscribers_only, chat_enabled, playback_url"
#define SORAK_STREAM_PARAMS "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17"

#define SORAK_MESSAGE_COLUMNS                                                                     \
  "id, stream_id, user_id, username, display_name, avatar_url, level, is_premium, badges, "      \
  "content, type, gift_id, gift_name, gift_quantity, gift_total_stars, stars, reply_to, "        \
  "created_at, client_id, deleted, stream_seq"
#define SORAK_MESSAGE_PARAMS \
  "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21"

#define SORAK_USER_COLUMNS "id, username, display_name, avatar_url, level, is_premium, badges"

#define SORAK_BADGE_COLUMNS "stream_id, user_id, id, badge, granted_by, granted_at"
#define SORAK_SANCTION_COLUMNS "stream_id, user_id, kind, id, reason, moderator_id, created_at, expires_at"
#define SORAK_ACTION_COLUMNS \
  "id, stream_id, action, moderator_id, target_user_id, message_id, reason, duration_seconds, created_at"

namespace sorak::sqlite {

// Steps `st` to its end, `read(st)` making one T of each row.
template <class T, class Read>
result<std::vector<T>> read_rows(statement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    auto row = st.step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(read(st));
  }
}

void bind_stream(statement& st, const stream& s);
stream read_stream(const statement& st);

void bind_message(statement& st, const message& m);
message read_message(const statement& st);
// Steps `st` to the end, reading every row as a message.
result<std::vector<message>> read_messages(statement& st);

// Binds ?1..?7 (SORAK_USER_COLUMNS); badges are the token's global ones.
void bind_user(statement& st, const user_profile& u);
user_profile read_user(const statement& st);

// Bind ?1.. in the order of SORAK_BADGE_COLUMNS / SORAK_SANCTION_COLUMNS /
// SORAK_ACTION_COLUMNS. read_badge leaves username empty.
void bind_badge(statement& st, const badge_grant& g);
badge_grant read_badge(const statement& st);
void bind_sanction(statement& st, const sanction& s);
sanction read_sanction(const statement& st);
void bind_action(statement& st, const moderation_action& a);
moderation_action read_action(const statement& st);

}  // namespace sorak::sqlite
