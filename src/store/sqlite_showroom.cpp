// The SQL for the Showroom-style feed, the statistics scan and API keys
// (declared in sqlite_queries.hpp).
#include <algorithm>

#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {

#define SORAK_API_KEY_COLUMNS "id, name, key_hash, prefix, created_at, revoked_at"

api_key read_api_key(const statement& st) {
  row_reader r(st);
  api_key k;
  k.id = r.text();
  k.name = r.text();
  k.key_hash = r.text();
  k.prefix = r.text();
  k.created_at = r.int64();
  k.revoked_at = r.optional_int64();
  return k;
}

}  // namespace

// ---- the feed ----------------------------------------------------------------

result<std::vector<message>> select_chat_feed(sqlite_db& db, std::string_view stream_id, int limit,
                                              std::optional<millis> since) {
  limit = std::max(limit, 1);
  if (since) {
    // Within a stream created_at grows with seq, so this walks the time index forward.
    auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                         " FROM messages WHERE stream_id = ?1 AND created_at > ?2 AND deleted = 0"
                         " AND type IN ('message', 'gift') ORDER BY created_at ASC LIMIT ?3");
    if (!st) return st.err();
    st->bind_all(stream_id, *since, limit);
    return read_messages(*st);
  }
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND deleted = 0"
                       " AND type IN ('message', 'gift') ORDER BY stream_seq DESC LIMIT ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, limit);
  auto rows = read_messages(*st);
  if (rows) std::reverse(rows->begin(), rows->end());
  return rows;
}

result<std::vector<message>> select_between(sqlite_db& db, std::string_view stream_id, millis from, millis to, int limit) {
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND deleted = 0"
                       " ORDER BY created_at ASC LIMIT ?4");
  if (!st) return st.err();
  st->bind_all(stream_id, from, to, std::max(limit, 1));
  return read_messages(*st);
}

status scan_stream_messages(sqlite_db& db, std::string_view stream_id,
                            const std::function<void(const message&)>& each) {
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS " FROM messages WHERE stream_id = ?1 ORDER BY stream_seq ASC");
  if (!st) return st.err();
  st->bind(1, stream_id);
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return ok_value;
    each(read_message(*st));
  }
}

// ---- API keys ------------------------------------------------------------------

status insert_api_key(sqlite_db& db, const api_key& k) {
  auto st = db.prepare("INSERT INTO api_keys (" SORAK_API_KEY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.err();
  st->bind_all(k.id, k.name, k.key_hash, k.prefix, k.created_at, k.revoked_at);
  status s = st->run();
  if (!s && s.err().is(errc::constraint_failed))
    return error(errc::api_key_taken, "an API key with this id or hash exists");
  return s;
}

status mark_api_key_revoked(sqlite_db& db, std::string_view id, millis at) {
  auto st = db.prepare("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
  if (!st) return st.err();
  st->bind_all(id, at);
  if (auto s = st->run(); !s) return s;
  auto changed = db.prepare("SELECT changes()");
  if (!changed) return changed.err();
  auto row = changed->step();
  if (!row) return row.err();
  if (!*row || changed->int64(0) == 0)
    return error(errc::api_key_not_found, "no such API key (or it is revoked already)");
  return ok_value;
}

result<std::vector<api_key>> select_api_keys(sqlite_db& db) {
  auto st = db.prepare("SELECT " SORAK_API_KEY_COLUMNS " FROM api_keys ORDER BY seq ASC");
  if (!st) return st.err();
  std::vector<api_key> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(read_api_key(*st));
  }
}

result<std::optional<api_key>> select_api_key_by_hash(sqlite_db& db, std::string_view key_hash) {
  auto st = db.prepare("SELECT " SORAK_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = ?1");
  if (!st) return st.err();
  st->bind(1, key_hash);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<api_key>();
  return std::optional(read_api_key(*st));
}

}  // namespace sorak::sqlite
