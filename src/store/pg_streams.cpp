// The SQL for streams and users (declared in pg_queries.hpp).
#include <algorithm>
#include <string>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/pg_queries.hpp"
#include "store/pg_rows.hpp"
#include "store/stream_rules.hpp"

namespace sorak::pg {

namespace {

// Held (pg_advisory_xact_lock) by a transaction choosing a room id, so two
// nodes creating streams at once do not pick the same number.
constexpr std::int64_t room_id_lock = 0x736f72616b03;

error stream_not_found() { return error(errc::stream_not_found, "no such stream"); }

// One above the largest all-digit room id in use, and never below 100001.
// Ids too long for an int64 (with room to add one) do not count.
result<std::string> next_room_id(pg_connection& db) {
  if (auto r = db.query("SELECT pg_advisory_xact_lock($1)", pg_params().add(room_id_lock)); !r) return r.err();
  auto r = db.query("SELECT MAX(room_id::bigint) FROM streams WHERE room_id ~ '^[0-9]{1,18}$'");
  if (!r) return r.err();
  std::int64_t max = r->is_null(0, 0) ? 0 : r->int64(0, 0);
  return std::to_string(std::max(max + 1, first_room_id));
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

result<stream> one_stream(result<result_set> r) {
  if (!r) return r.err();
  if (r->rows() == 0) return stream_not_found();
  return read_stream(*r, 0);
}

// Inserts s with its head row. ON CONFLICT DO NOTHING: a taken id or room
// answers with no row instead of an error that would abort the whole group's
// transaction.
status insert_stream_row(pg_connection& db, const stream& s) {
  pg_params p;
  add_stream(p, s);
  auto r = db.query("INSERT INTO streams (" PG_STREAM_COLUMNS
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                    "$10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING RETURNING id",
                    p);
  if (!r) return r.err();
  if (r->rows() == 0)
    return error(errc::room_taken, "stream " + s.id + " or room_id " + s.room_id + " is already used");
  auto h = db.query(
      "INSERT INTO stream_heads (stream_id, last_seq, last_created_at) VALUES ($1, 0, 0) "
      "ON CONFLICT (stream_id) DO NOTHING",
      pg_params().add(s.id));
  return h ? status(ok_value) : status(h.err());
}

}  // namespace

// ---- writes -----------------------------------------------------------------

result<stream> insert_stream(pg_connection& db, const new_stream& s) {
  auto room_id = s.room_id ? result<std::string>(*s.room_id) : next_room_id(db);
  if (!room_id) return room_id.err();
  stream out = make_stream(s, std::move(*room_id));
  if (auto r = insert_stream_row(db, out); !r) {
    if (r.err().is(errc::room_taken)) return error(errc::room_taken, "room_id " + out.room_id + " is already used");
    return r.err();
  }
  return out;
}

status insert_stream_as_is(pg_connection& db, const stream& s) { return insert_stream_row(db, s); }

result<stream> patch_stream(pg_connection& db, std::string_view stream_id, const stream_patch& p) {
  auto current = one_stream(
      db.query("SELECT " PG_STREAM_COLUMNS " FROM streams WHERE id = $1 FOR UPDATE", pg_params().add(stream_id)));
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
  pg_params params;
  add_stream(params, *current);
  auto r = db.query(
      "UPDATE streams SET room_id = $2, broadcaster_user_id = $3, room_name = $4, title = $5, "
      "member_name = $6, member_nickname = $7, member_team = $8, status = $9, created_at = $10, "
      "started_at = $11, ended_at = $12, slow_mode_seconds = $13, max_message_length = $14, "
      "subscribers_only = $15, chat_enabled = $16, playback_url = $17 WHERE id = $1",
      params);
  if (!r) return r.err();
  return current;
}

status upsert_user(pg_connection& db, const user_profile& u) {
  pg_params p;
  add_user(p, u);
  p.add(now_millis());
  auto r =
      db.query("INSERT INTO users (" PG_USER_COLUMNS
               ", updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
               "ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name, "
               "avatar_url = excluded.avatar_url, level = excluded.level, is_premium = excluded.is_premium, "
               "badges = excluded.badges, updated_at = excluded.updated_at",
               p);
  return r ? status(ok_value) : status(r.err());
}

// ---- reads ------------------------------------------------------------------

result<stream> select_stream(pg_connection& db, std::string_view stream_id) {
  return one_stream(db.query("SELECT " PG_STREAM_COLUMNS " FROM streams WHERE id = $1", pg_params().add(stream_id)));
}

result<stream> select_stream_by_room(pg_connection& db, std::string_view room_id) {
  return one_stream(db.query("SELECT " PG_STREAM_COLUMNS " FROM streams WHERE room_id = $1", pg_params().add(room_id)));
}

result<std::vector<stream>> select_streams(pg_connection& db, std::optional<stream_status> filter) {
  // The id breaks ties between streams created in the same millisecond: v7 ids
  // grow with creation order.
  auto r = filter
               ? db.query("SELECT " PG_STREAM_COLUMNS
                          " FROM streams WHERE status = $1 ORDER BY created_at DESC, id COLLATE \"C\" DESC",
                          pg_params().add(to_string(*filter)))
               : db.query("SELECT " PG_STREAM_COLUMNS " FROM streams ORDER BY created_at DESC, id COLLATE \"C\" DESC");
  if (!r) return r.err();
  std::vector<stream> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_stream(*r, i));
  return out;
}

result<std::vector<user_profile>> select_users(pg_connection& db) {
  auto r = db.query("SELECT " PG_USER_COLUMNS " FROM users ORDER BY id COLLATE \"C\"");
  if (!r) return r.err();
  std::vector<user_profile> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_user(*r, i));
  return out;
}

result<std::optional<user_profile>> select_user(pg_connection& db, std::string_view user_id) {
  auto r = db.query("SELECT " PG_USER_COLUMNS " FROM users WHERE id = $1", pg_params().add(user_id));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<user_profile>();
  return std::optional(read_user(*r, 0));
}

}  // namespace sorak::pg
