// The SQL for streams and users (declared in sqlite_queries.hpp).
#include <algorithm>
#include <string>

#include "store/stream_rules.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {


error stream_not_found() { return error(errc::stream_not_found, "no such stream"); }

result<bool> room_taken(sqlite_db& db, std::string_view room_id) {
  auto st = db.prepare("SELECT 1 FROM streams WHERE room_id = ?1");
  if (!st) return st.err();
  st->bind(1, room_id);
  return st->step();
}

// One above the largest all-digit room id in use, and never below 100001.
// Ids too long for an int64 (with room to add one) do not count.
result<std::string> next_room_id(sqlite_db& db) {
  auto st = db.prepare(
      "SELECT MAX(CAST(room_id AS INTEGER)) FROM streams "
      "WHERE room_id <> '' AND room_id NOT GLOB '*[^0-9]*' AND length(room_id) <= 18");
  if (!st) return st.err();
  auto row = st->step();
  if (!row) return row.err();
  std::int64_t max = (*row && !st->is_null(0)) ? st->int64(0) : 0;
  return std::to_string(std::max(max + 1, first_room_id));
}

result<std::string> choose_room_id(sqlite_db& db, const std::optional<std::string>& wanted) {
  if (!wanted) return next_room_id(db);
  auto taken = room_taken(db, *wanted);
  if (!taken) return taken.err();
  if (*taken) return error(errc::room_taken, "room_id " + *wanted + " is already used");
  return *wanted;
}

stream make_stream(const new_stream& s, std::string room_id) {
  stream out;
  out.id = new_uuid_v7();
  out.room_id = std::move(room_id);
  out.broadcaster_user_id = s.broadcaster_user_id;
  out.room_name = s.room_name;
  out.title = s.title;
  out.member = s.member;
  out.playback_url = s.playback_url;
  out.created_at = out.started_at = now_millis();
  return out;
}

result<stream> one_stream(statement& st) {
  auto row = st.step();
  if (!row) return row.err();
  if (!*row) return stream_not_found();
  return read_stream(st);
}

}  // namespace

// ---- writes -----------------------------------------------------------------

result<stream> insert_stream(sqlite_db& db, const new_stream& s) {
  auto room_id = choose_room_id(db, s.room_id);
  if (!room_id) return room_id.err();
  stream out = make_stream(s, std::move(*room_id));
  auto st = db.prepare("INSERT INTO streams (" SORAK_STREAM_COLUMNS ") VALUES (" SORAK_STREAM_PARAMS ")");
  if (!st) return st.err();
  bind_stream(*st, out);
  if (auto r = st->run(); !r) return r.err();
  return out;
}

status insert_stream_as_is(sqlite_db& db, const stream& s) {
  auto st = db.prepare("INSERT INTO streams (" SORAK_STREAM_COLUMNS ") VALUES (" SORAK_STREAM_PARAMS ")");
  if (!st) return st.err();
  bind_stream(*st, s);
  status r = st->run();
  if (!r && r.err().is(errc::constraint_failed))
    return error(errc::room_taken, "stream " + s.id + " or room_id " + s.room_id + " is already used");
  return r;
}

result<stream> patch_stream(sqlite_db& db, std::string_view stream_id, const stream_patch& p) {
  auto current = select_stream(db, stream_id);
  if (!current) return current.err();
  const bool was_ended = current->ended_at.has_value();
  apply_stream_patch(*current, p);
  if (!was_ended && current->ended_at) {
    // A burst stamps messages ahead of the clock (created_at only rises): the
    // stream ends no earlier than its last message, so replay offsets stay within it.
    auto last = select_last_created_at(db, stream_id);
    if (!last) return last.err();
    if (*last && **last > *current->ended_at) current->ended_at = **last;
  }
  auto st = db.prepare(
      "UPDATE streams SET room_id = ?2, broadcaster_user_id = ?3, room_name = ?4, title = ?5, "
      "member_name = ?6, member_nickname = ?7, member_team = ?8, status = ?9, created_at = ?10, "
      "started_at = ?11, ended_at = ?12, slow_mode_seconds = ?13, max_message_length = ?14, "
      "subscribers_only = ?15, chat_enabled = ?16, playback_url = ?17 WHERE id = ?1");
  if (!st) return st.err();
  bind_stream(*st, *current);
  if (auto r = st->run(); !r) return r.err();
  return current;
}

status upsert_user(sqlite_db& db, const user_profile& u) {
  auto st = db.prepare(
      "INSERT INTO users (" SORAK_USER_COLUMNS ", updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
      "display_name = excluded.display_name, avatar_url = excluded.avatar_url, "
      "level = excluded.level, is_premium = excluded.is_premium, badges = excluded.badges, "
      "updated_at = excluded.updated_at");
  if (!st) return st.err();
  bind_user(*st, u);
  st->bind(8, now_millis());
  return st->run();
}

// ---- reads ------------------------------------------------------------------

result<stream> select_stream(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT " SORAK_STREAM_COLUMNS " FROM streams WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  return one_stream(*st);
}

result<stream> select_stream_by_room(sqlite_db& db, std::string_view room_id) {
  auto st = db.prepare("SELECT " SORAK_STREAM_COLUMNS " FROM streams WHERE room_id = ?1");
  if (!st) return st.err();
  st->bind(1, room_id);
  return one_stream(*st);
}

result<std::vector<stream>> select_streams(sqlite_db& db, std::optional<stream_status> filter) {
  // The id breaks ties between streams created in the same millisecond: v7 ids
  // grow with creation order.
  auto st = filter ? db.prepare("SELECT " SORAK_STREAM_COLUMNS
                                " FROM streams WHERE status = ?1 ORDER BY created_at DESC, id DESC")
                   : db.prepare("SELECT " SORAK_STREAM_COLUMNS " FROM streams ORDER BY created_at DESC, id DESC");
  if (!st) return st.err();
  if (filter) st->bind(1, to_string(*filter));
  std::vector<stream> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(read_stream(*st));
  }
}

result<std::optional<user_profile>> select_user(sqlite_db& db, std::string_view user_id) {
  auto st = db.prepare("SELECT " SORAK_USER_COLUMNS " FROM users WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, user_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<user_profile>();
  return std::optional(read_user(*st));
}

result<std::vector<user_profile>> select_users(sqlite_db& db) {
  auto st = db.prepare("SELECT " SORAK_USER_COLUMNS " FROM users ORDER BY id");
  if (!st) return st.err();
  std::vector<user_profile> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(read_user(*st));
  }
}

}  // namespace sorak::sqlite
