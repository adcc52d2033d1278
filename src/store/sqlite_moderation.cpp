// The SQL for moderation (declared in sqlite_queries.hpp): deletions, badges,
// timeouts and bans, and the moderation log.
#include <string>

#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"
#include "store/stream_rules.hpp"

namespace sorak::sqlite {

namespace {

error message_not_found() { return error(errc::message_not_found, "no such message in this stream"); }

// The username of the user's last seen profile, or "".
result<std::string> username_of(sqlite_db& db, std::string_view user_id) {
  auto st = db.prepare("SELECT username FROM users WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, user_id);
  auto row = st->step();
  if (!row) return row.err();
  return *row ? st->text(0) : std::string();
}

result<std::optional<badge_grant>> select_badge(sqlite_db& db, std::string_view stream_id, std::string_view user_id) {
  auto st = db.prepare("SELECT " SORAK_BADGE_COLUMNS " FROM stream_badges WHERE stream_id = ?1 AND user_id = ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, user_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<badge_grant>();
  return std::optional(read_badge(*st));
}

result<badge_grant> with_username(sqlite_db& db, badge_grant g) {
  auto name = username_of(db, g.user_id);
  if (!name) return name.err();
  g.username = std::move(*name);
  return g;
}

result<int> changes_of(sqlite_db& db) {
  auto st = db.prepare("SELECT changes()");
  if (!st) return st.err();
  auto row = st->step();
  if (!row) return row.err();
  return *row ? static_cast<int>(st->int64(0)) : 0;
}

}  // namespace

// ---- messages ----------------------------------------------------------------

result<message> mark_message_deleted(sqlite_db& db, std::string_view stream_id, std::string_view message_id) {
  auto m = select_message(db, stream_id, message_id);
  if (!m) return m.err();
  if (m->deleted) return message_not_found();
  auto st = db.prepare("UPDATE messages SET deleted = 1 WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, message_id);
  if (auto s = st->run(); !s) return s.err();
  m->deleted = true;
  return m;
}

result<std::vector<std::string>> mark_user_messages_deleted(sqlite_db& db, std::string_view stream_id,
                                                            std::string_view user_id) {
  auto st = db.prepare("SELECT id FROM messages WHERE stream_id = ?1 AND user_id = ?2 AND deleted = 0 ORDER BY stream_seq");
  if (!st) return st.err();
  st->bind_all(stream_id, user_id);
  auto ids = read_rows<std::string>(*st, [](const statement& s) { return s.text(0); });
  if (!ids) return ids.err();
  if (ids->empty()) return ids;
  auto upd = db.prepare("UPDATE messages SET deleted = 1 WHERE stream_id = ?1 AND user_id = ?2 AND deleted = 0");
  if (!upd) return upd.err();
  upd->bind_all(stream_id, user_id);
  if (auto s = upd->run(); !s) return s.err();
  return ids;
}

// ---- badges ------------------------------------------------------------------

result<badge_grant> upsert_badge(sqlite_db& db, const badge_grant& g) {
  auto current = select_badge(db, g.stream_id, g.user_id);
  if (!current) return current.err();
  if (*current && (*current)->badge == g.badge) return with_username(db, **current);
  auto st =
      db.prepare("INSERT OR REPLACE INTO stream_badges (" SORAK_BADGE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.err();
  bind_badge(*st, g);
  if (auto s = st->run(); !s) return s.err();
  return with_username(db, g);
}

status delete_badge(sqlite_db& db, std::string_view stream_id, std::string_view user_id) {
  auto st = db.prepare("DELETE FROM stream_badges WHERE stream_id = ?1 AND user_id = ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, user_id);
  if (auto s = st->run(); !s) return s;
  auto n = changes_of(db);
  if (!n) return n.err();
  if (*n == 0) return badge_not_found();
  return ok_value;
}

result<std::vector<badge_grant>> select_badges(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare(
      "SELECT b.stream_id, b.user_id, b.id, b.badge, b.granted_by, b.granted_at, "
      "COALESCE(u.username, '') FROM stream_badges b LEFT JOIN users u ON u.id = b.user_id "
      "WHERE b.stream_id = ?1 ORDER BY b.granted_at, b.id");
  if (!st) return st.err();
  st->bind(1, stream_id);
  return read_rows<badge_grant>(*st, [](const statement& s) {
    badge_grant g = read_badge(s);
    g.username = s.text(6);
    return g;
  });
}

// ---- timeouts and bans ---------------------------------------------------------

status upsert_sanction(sqlite_db& db, const sanction& s) {
  auto st = db.prepare("INSERT OR REPLACE INTO sanctions (" SORAK_SANCTION_COLUMNS
                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.err();
  bind_sanction(*st, s);
  return st->run();
}

status delete_sanction(sqlite_db& db, std::string_view stream_id, std::string_view user_id, sanction_kind kind) {
  auto st = db.prepare("DELETE FROM sanctions WHERE stream_id = ?1 AND user_id = ?2 AND kind = ?3");
  if (!st) return st.err();
  st->bind_all(stream_id, user_id, to_string(kind));
  if (auto s = st->run(); !s) return s;
  auto n = changes_of(db);
  if (!n) return n.err();
  if (*n == 0) return sanction_not_found(kind);
  return ok_value;
}

result<std::vector<sanction>> select_sanctions(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT " SORAK_SANCTION_COLUMNS " FROM sanctions WHERE stream_id = ?1 ORDER BY created_at, id");
  if (!st) return st.err();
  st->bind(1, stream_id);
  return read_rows<sanction>(*st, [](const statement& s) { return read_sanction(s); });
}

// ---- the log -------------------------------------------------------------------

status insert_action(sqlite_db& db, const moderation_action& a) {
  auto st =
      db.prepare("INSERT INTO moderation_log (" SORAK_ACTION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!st) return st.err();
  bind_action(*st, a);
  return st->run();
}

result<std::vector<moderation_action>> select_actions(sqlite_db& db, std::string_view stream_id, int limit) {
  auto st =
      db.prepare("SELECT " SORAK_ACTION_COLUMNS " FROM moderation_log WHERE stream_id = ?1 ORDER BY seq DESC LIMIT ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, limit);
  return read_rows<moderation_action>(*st, [](const statement& s) { return read_action(s); });
}

}  // namespace sorak::sqlite
