// The SQL for moderation (declared in pg_queries.hpp): deletions, badges,
// timeouts and bans, and the moderation log.
#include <string>

#include "store/pg_queries.hpp"
#include "store/pg_rows.hpp"
#include "store/stream_rules.hpp"

namespace sorak::pg {

const char* const statements::moderation_log =
    "SELECT " PG_ACTION_COLUMNS " FROM moderation_log WHERE stream_id = $1 ORDER BY seq DESC LIMIT $2";

namespace {

error message_not_found() { return error(errc::message_not_found, "no such message in this stream"); }

status done(const result<result_set>& r) { return r ? status(ok_value) : status(r.err()); }

template <class T, class Read>
result<std::vector<T>> read_rows(result<result_set> r, Read read) {
  if (!r) return r.err();
  std::vector<T> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read(*r, i));
  return out;
}

// The username of the user's last seen profile, or "".
result<std::string> username_of(pg_connection& db, std::string_view user_id) {
  auto r = db.query("SELECT username FROM users WHERE id = $1", pg_params().add(user_id));
  if (!r) return r.err();
  return r->rows() ? r->text(0, 0) : std::string();
}

result<badge_grant> with_username(pg_connection& db, badge_grant g) {
  auto name = username_of(db, g.user_id);
  if (!name) return name.err();
  g.username = std::move(*name);
  return g;
}

}  // namespace

// ---- messages ----------------------------------------------------------------

result<message> mark_message_deleted(pg_connection& db, std::string_view stream_id, std::string_view message_id) {
  auto r = db.query(
      "UPDATE messages SET deleted = true WHERE id = $1 AND stream_id = $2 AND NOT deleted "
      "RETURNING " PG_MESSAGE_COLUMNS,
      pg_params().add_all(message_id, stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return message_not_found();
  return read_message(*r, 0);
}

result<std::vector<std::string>> mark_user_messages_deleted(pg_connection& db, std::string_view stream_id,
                                                            std::string_view user_id) {
  // RETURNING gives no order; the ids are sorted by the stream's sequence.
  auto r = db.query(
      "WITH gone AS (UPDATE messages SET deleted = true WHERE stream_id = $1 AND user_id = $2 "
      "AND NOT deleted RETURNING id, stream_seq) SELECT id FROM gone ORDER BY stream_seq",
      pg_params().add_all(stream_id, user_id));
  return read_rows<std::string>(std::move(r), [](const result_set& rs, int i) { return rs.text(i, 0); });
}

// ---- badges ------------------------------------------------------------------

result<badge_grant> upsert_badge(pg_connection& db, const badge_grant& g) {
  auto current = db.query("SELECT " PG_BADGE_COLUMNS " FROM stream_badges WHERE stream_id = $1 AND user_id = $2",
                          pg_params().add_all(g.stream_id, g.user_id));
  if (!current) return current.err();
  if (current->rows() && read_badge(*current, 0).badge == g.badge) return with_username(db, read_badge(*current, 0));
  pg_params p;
  add_badge(p, g);
  auto r = db.query("INSERT INTO stream_badges (" PG_BADGE_COLUMNS
                    ") VALUES ($1, $2, $3, $4, $5, $6) "
                    "ON CONFLICT (stream_id, user_id) DO UPDATE SET id = excluded.id, badge = excluded.badge, "
                    "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
                    p);
  if (!r) return r.err();
  return with_username(db, g);
}

status delete_badge(pg_connection& db, std::string_view stream_id, std::string_view user_id) {
  auto r = db.query("DELETE FROM stream_badges WHERE stream_id = $1 AND user_id = $2",
                    pg_params().add_all(stream_id, user_id));
  if (!r) return r.err();
  if (r->affected() == 0) return badge_not_found();
  return ok_value;
}

result<std::vector<badge_grant>> select_badges(pg_connection& db, std::string_view stream_id) {
  auto r = db.query(
      "SELECT b.stream_id, b.user_id, b.id, b.badge, b.granted_by, b.granted_at, COALESCE(u.username, '') "
      "FROM stream_badges b LEFT JOIN users u ON u.id = b.user_id "
      "WHERE b.stream_id = $1 ORDER BY b.granted_at, b.id COLLATE \"C\"",
      pg_params().add(stream_id));
  return read_rows<badge_grant>(std::move(r), [](const result_set& rs, int i) {
    badge_grant g = read_badge(rs, i);
    g.username = rs.text(i, 6);
    return g;
  });
}

// ---- timeouts and bans ---------------------------------------------------------

status upsert_sanction(pg_connection& db, const sanction& s) {
  pg_params p;
  add_sanction(p, s);
  return done(db.query("INSERT INTO sanctions (" PG_SANCTION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                       "ON CONFLICT (stream_id, user_id, kind) DO UPDATE SET id = excluded.id, "
                       "reason = excluded.reason, moderator_id = excluded.moderator_id, "
                       "created_at = excluded.created_at, expires_at = excluded.expires_at",
                       p));
}

status delete_sanction(pg_connection& db, std::string_view stream_id, std::string_view user_id, sanction_kind kind) {
  auto r = db.query("DELETE FROM sanctions WHERE stream_id = $1 AND user_id = $2 AND kind = $3",
                    pg_params().add_all(stream_id, user_id, to_string(kind)));
  if (!r) return r.err();
  if (r->affected() == 0) return sanction_not_found(kind);
  return ok_value;
}

result<std::vector<sanction>> select_sanctions(pg_connection& db, std::string_view stream_id) {
  return read_rows<sanction>(db.query("SELECT " PG_SANCTION_COLUMNS " FROM sanctions WHERE stream_id = $1 "
                                      "ORDER BY created_at, id COLLATE \"C\"",
                                      pg_params().add(stream_id)),
                             read_sanction);
}

// ---- the log -------------------------------------------------------------------

status insert_action(pg_connection& db, const moderation_action& a) {
  pg_params p;
  add_action(p, a);
  // A repeated id answers with no row rather than abort the group's transaction.
  auto r = db.query("INSERT INTO moderation_log (" PG_ACTION_COLUMNS
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                    "ON CONFLICT (id) DO NOTHING RETURNING seq",
                    p);
  if (!r) return r.err();
  if (r->rows() == 0) return error(errc::constraint_failed, "action " + a.id + " is logged already");
  return ok_value;
}

result<std::vector<moderation_action>> select_actions(pg_connection& db, std::string_view stream_id, int limit) {
  return read_rows<moderation_action>(db.query(statements::moderation_log, pg_params().add_all(stream_id, limit)),
                                      read_action);
}

}  // namespace sorak::pg
