// The SQL for messages (declared in sqlite_queries.hpp). Pages walk
// `stream_seq`, the stream's commit order, so a cursor is exact.
#include <algorithm>
#include <limits>

#include "store/sqlite_queries.hpp"
#include "store/row_parts.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {

constexpr std::int64_t past_the_end = std::numeric_limits<std::int64_t>::max();

error message_not_found() { return error(errc::message_not_found, "no such message in this stream"); }

// The seq of message_id, or nullopt when it is not a message of this stream.
result<std::optional<std::int64_t>> seq_of(sqlite_db& db, std::string_view stream_id,
                                           std::string_view message_id) {
  auto st = db.prepare("SELECT stream_seq FROM messages WHERE id = ?1 AND stream_id = ?2");
  if (!st) return st.err();
  st->bind_all(message_id, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional(st->int64(0));
}

// Up to n non-deleted messages with stream_seq < below, newest first.
result<std::vector<message>> newest_below(sqlite_db& db, std::string_view stream_id, std::int64_t below,
                                          int n) {
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND stream_seq < ?2 AND deleted = 0"
                       " ORDER BY stream_seq DESC LIMIT ?3");
  if (!st) return st.err();
  st->bind_all(stream_id, below, n);
  return read_messages(*st);
}

}  // namespace

// The newest pruned message of a stream without messages (retention), or (0, min).
result<std::pair<std::int64_t, millis>> pruned_head(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT last_seq, last_created_at FROM stream_baselines WHERE stream_id = ?1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::pair<std::int64_t, millis>(0, std::numeric_limits<millis>::min());
  return std::pair<std::int64_t, millis>(st->int64(0), st->int64(1));
}

// The stream's newest (stream_seq, created_at), pruned ones included, or
// (0, min) when it never had one. The writer holds SQLite's write lock (BEGIN
// IMMEDIATE) across the group, so no other connection or process can take
// the same number.
result<std::pair<std::int64_t, millis>> stream_head(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT stream_seq, created_at FROM messages WHERE stream_id = ?1"
                       " ORDER BY stream_seq DESC LIMIT 1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return pruned_head(db, stream_id);  // retention may have taken every message
  return std::pair<std::int64_t, millis>(st->int64(0), st->int64(1));
}

status insert_message(sqlite_db& db, message& m) {
  auto head = stream_head(db, m.stream_id);
  if (!head) return head.err();
  m.seq = head->first + 1;
  m.created_at = std::max(m.created_at, head->second + 1);
  auto st = db.prepare("INSERT INTO messages (" SORAK_MESSAGE_COLUMNS ") VALUES (" SORAK_MESSAGE_PARAMS ")");
  if (!st) return st.err();
  bind_message(*st, m);
  status s = st->run();
  if (!s && s.err().is(errc::constraint_failed))
    return error(errc::duplicate_message, "message " + m.id + " is already stored");
  return s;
}

result<history_page> select_history(sqlite_db& db, std::string_view stream_id, int limit,
                                    std::optional<std::string_view> before_id) {
  limit = std::max(limit, 1);
  read_transaction txn(db);  // the cursor lookup and the page see one snapshot
  if (!txn.began()) return txn.began().err();
  std::int64_t below = past_the_end;
  if (before_id) {
    auto seq = seq_of(db, stream_id, *before_id);
    if (!seq) return seq.err();
    if (!*seq) return error(errc::invalid_cursor, "`before` is not a message of this stream");
    below = **seq;
  }
  // One row more than asked tells whether an older page exists.
  auto rows = newest_below(db, stream_id, below, limit + 1);
  if (!rows) return rows.err();
  return store_detail::history_page_from_newest(std::move(*rows), limit);
}

result<std::vector<message>> select_latest(sqlite_db& db, std::string_view stream_id, int n) {
  if (n <= 0) return std::vector<message>();
  auto rows = newest_below(db, stream_id, past_the_end, n);
  if (rows) std::reverse(rows->begin(), rows->end());
  return rows;
}

result<std::vector<message>> select_after(sqlite_db& db, std::string_view stream_id,
                                          std::string_view message_id, int max) {
  read_transaction txn(db);
  if (!txn.began()) return txn.began().err();
  auto seq = seq_of(db, stream_id, message_id);
  if (!seq) return seq.err();
  if (!*seq) return message_not_found();
  if (max <= 0) return std::vector<message>();
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND stream_seq > ?2 AND deleted = 0"
                       " ORDER BY stream_seq ASC LIMIT ?3");
  if (!st) return st.err();
  st->bind_all(stream_id, **seq, max);
  return read_messages(*st);
}

result<message> select_message(sqlite_db& db, std::string_view stream_id, std::string_view message_id) {
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS " FROM messages WHERE id = ?1 AND stream_id = ?2");
  if (!st) return st.err();
  st->bind_all(message_id, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return message_not_found();
  return read_message(*st);
}

result<std::vector<message>> select_deleted_after(sqlite_db& db, std::string_view stream_id,
                                                  std::string_view message_id) {
  read_transaction txn(db);
  if (!txn.began()) return txn.began().err();
  auto seq = seq_of(db, stream_id, message_id);
  if (!seq) return seq.err();
  if (!*seq) return std::vector<message>();
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND stream_seq > ?2 AND deleted = 1 ORDER BY stream_seq ASC");
  if (!st) return st.err();
  st->bind_all(stream_id, **seq);
  return read_messages(*st);
}

result<std::optional<millis>> select_last_created_at(sqlite_db& db, std::string_view stream_id) {
  // created_at grows with stream_seq (insert_message makes it so).
  auto st = db.prepare("SELECT created_at FROM messages WHERE stream_id = ?1 ORDER BY stream_seq DESC LIMIT 1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<millis>();
  return std::optional<millis>(st->int64(0));
}

}  // namespace sorak::sqlite
