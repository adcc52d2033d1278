// The SQL for the Showroom-style feed, the statistics scan and API keys
// (declared in pg_queries.hpp).
#include <algorithm>

#include "store/pg_queries.hpp"
#include "store/pg_rows.hpp"

namespace sorak::pg {

// Within a stream created_at grows with stream_seq, so `since` walks the
// (stream_id, created_at) index forward, in the partitions after it.
const char* const statements::feed_since =
    "SELECT " PG_MESSAGE_COLUMNS
    " FROM messages WHERE stream_id = $1 AND created_at > $2 "
    "AND NOT deleted AND type IN ('message', 'gift') ORDER BY created_at ASC LIMIT $3";
const char* const statements::feed_newest = "SELECT " PG_MESSAGE_COLUMNS
                                            " FROM messages WHERE stream_id = $1 AND NOT deleted "
                                            "AND type IN ('message', 'gift') ORDER BY stream_seq DESC LIMIT $2";

namespace {

// Rows per FETCH of the statistics scan: bounds the memory one batch takes.
constexpr int scan_batch = 2000;

status walk_cursor(pg_connection& db, const std::function<void(const message&)>& each) {
  for (;;) {
    auto r = db.query("FETCH " + std::to_string(scan_batch) + " FROM sorak_scan");
    if (!r) return r.err();
    for (int i = 0; i < r->rows(); ++i) each(read_message(*r, i));
    if (r->rows() < scan_batch) return ok_value;
  }
}

}  // namespace

// ---- the feed ----------------------------------------------------------------

result<std::vector<message>> select_chat_feed(pg_connection& db, std::string_view stream_id, int limit,
                                              std::optional<millis> since) {
  limit = std::max(limit, 1);
  if (since) {
    auto r = db.query(statements::feed_since, pg_params().add_all(stream_id, *since, limit));
    if (!r) return r.err();
    return read_messages(*r);
  }
  auto r = db.query(statements::feed_newest, pg_params().add_all(stream_id, limit));
  if (!r) return r.err();
  auto rows = read_messages(*r);
  std::reverse(rows.begin(), rows.end());
  return rows;
}

result<std::vector<message>> select_between(pg_connection& db, std::string_view stream_id, millis from, millis to, int limit) {
  auto r = db.query("SELECT " PG_MESSAGE_COLUMNS
                    " FROM messages WHERE stream_id = $1 AND created_at >= $2 AND created_at < $3 AND NOT deleted"
                    " ORDER BY created_at ASC LIMIT $4",
                    pg_params().add_all(stream_id, from, to, std::max(limit, 1)));
  if (!r) return r.err();
  return read_messages(*r);
}

status scan_stream_messages(pg_connection& db, std::string_view stream_id,
                            const std::function<void(const message&)>& each) {
  // A cursor in one read-only transaction: one snapshot, a batch in memory at a time.
  if (auto s = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s) return s;
  auto declared = db.query("DECLARE sorak_scan NO SCROLL CURSOR FOR SELECT " PG_MESSAGE_COLUMNS
                           " FROM messages WHERE stream_id = $1 ORDER BY stream_seq ASC",
                           pg_params().add(stream_id));
  status s = declared ? walk_cursor(db, each) : status(declared.err());
  if (db.in_transaction()) db.exec(s ? "COMMIT" : "ROLLBACK");
  return s;
}

// ---- API keys ------------------------------------------------------------------

status insert_api_key(pg_connection& db, const api_key& k) {
  pg_params p;
  add_api_key(p, k);
  // ON CONFLICT DO NOTHING: a taken id or hash answers with no row instead of
  // an error that would abort the whole group's transaction.
  auto r = db.query("INSERT INTO api_keys (" PG_API_KEY_COLUMNS
                    ") VALUES ($1, $2, $3, $4, $5, $6) "
                    "ON CONFLICT DO NOTHING RETURNING seq",
                    p);
  if (!r) return r.err();
  if (r->rows() == 0) return error(errc::api_key_taken, "an API key with this id or hash exists");
  return ok_value;
}

status mark_api_key_revoked(pg_connection& db, std::string_view id, millis at) {
  auto r =
      db.query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", pg_params().add_all(id, at));
  if (!r) return r.err();
  if (r->affected() == 0) return error(errc::api_key_not_found, "no such API key (or it is revoked already)");
  return ok_value;
}

result<std::vector<api_key>> select_api_keys(pg_connection& db) {
  auto r = db.query("SELECT " PG_API_KEY_COLUMNS " FROM api_keys ORDER BY seq ASC");
  if (!r) return r.err();
  std::vector<api_key> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_api_key(*r, i));
  return out;
}

result<std::optional<api_key>> select_api_key_by_hash(pg_connection& db, std::string_view key_hash) {
  auto r = db.query("SELECT " PG_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = $1", pg_params().add(key_hash));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<api_key>();
  return std::optional(read_api_key(*r, 0));
}

}  // namespace sorak::pg
