// The SQL for retention (declared in sqlite_queries.hpp): a stream's oldest
// messages go a batch at a time, each batch folded into the stream's
// statistics baseline in the same transaction that deletes it.
#include <exception>

#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {

result<std::vector<message>> oldest_batch(sqlite_db& db, std::string_view stream_id, millis cutoff) {
  // created_at grows with stream_seq within a stream, so these are a prefix.
  auto st = db.prepare("SELECT " SORAK_MESSAGE_COLUMNS
                       " FROM messages WHERE stream_id = ?1 AND created_at < ?2 ORDER BY stream_seq ASC LIMIT ?3");
  if (!st) return st.err();
  st->bind_all(stream_id, cutoff, store::prune_batch);
  return read_messages(*st);
}

result<std::string> folded(sqlite_db& db, std::string_view stream_id, const std::vector<message>& rows,
                           const stats_fold& fold) {
  auto old = select_baseline(db, stream_id);
  if (!old) return old.err();
  try {
    return fold(stream_id, old->value_or(""), rows);
  } catch (const std::exception& e) {
    return error(errc::internal, std::string("folding pruned messages failed: ") + e.what());
  }
}

// The pin goes with its message; then the rows themselves.
status delete_through(sqlite_db& db, std::string_view stream_id, std::int64_t last_seq) {
  auto pin = db.prepare("DELETE FROM pins WHERE stream_id = ?1 AND message_id IN"
                        " (SELECT id FROM messages WHERE stream_id = ?1 AND stream_seq <= ?2)");
  if (!pin) return pin.err();
  pin->bind_all(stream_id, last_seq);
  if (auto s = pin->run(); !s) return s;
  auto rows = db.prepare("DELETE FROM messages WHERE stream_id = ?1 AND stream_seq <= ?2");
  if (!rows) return rows.err();
  rows->bind_all(stream_id, last_seq);
  return rows->run();
}

result<std::int64_t> prune_in_savepoint(sqlite_db& db, std::string_view stream_id, millis cutoff,
                                        const stats_fold& fold) {
  auto rows = oldest_batch(db, stream_id, cutoff);
  if (!rows) return rows.err();
  if (rows->empty()) return std::int64_t{0};
  auto stats = folded(db, stream_id, *rows, fold);
  if (!stats) return stats.err();
  const message& last = rows->back();
  if (auto s = upsert_baseline(db, {std::string(stream_id), *stats, last.seq, last.created_at}); !s) return s.err();
  if (auto s = delete_through(db, stream_id, last.seq); !s) return s.err();
  return static_cast<std::int64_t>(rows->size());
}

}  // namespace

// The group's other writes stand whatever this one does: it changes several
// tables, so it runs in a savepoint that is undone whole when a step fails.
result<std::int64_t> prune_stream_batch(sqlite_db& db, std::string_view stream_id, millis cutoff,
                                        const stats_fold& fold) {
  if (auto s = db.exec("SAVEPOINT sorak_prune"); !s) return s.err();
  auto n = prune_in_savepoint(db, stream_id, cutoff, fold);
  if (!n && db.in_transaction()) db.exec("ROLLBACK TO sorak_prune");
  if (db.in_transaction()) db.exec("RELEASE sorak_prune");
  return n;
}

status upsert_baseline(sqlite_db& db, const stream_baseline& b) {
  auto st = db.prepare(
      "INSERT INTO stream_baselines (stream_id, stats, last_seq, last_created_at) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT (stream_id) DO UPDATE SET stats = excluded.stats, last_seq = excluded.last_seq,"
      " last_created_at = excluded.last_created_at");
  if (!st) return st.err();
  st->bind_all(b.stream_id, b.stats, b.last_seq, b.last_created_at);
  return st->run();
}

result<std::vector<std::string>> select_streams_to_prune(sqlite_db& db, millis cutoff) {
  auto st = db.prepare("SELECT id FROM streams WHERE EXISTS"
                       " (SELECT 1 FROM messages WHERE messages.stream_id = streams.id AND created_at < ?1)"
                       " ORDER BY id");
  if (!st) return st.err();
  st->bind(1, cutoff);
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(st->text(0));
  }
}

result<std::optional<std::string>> select_baseline(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT stats FROM stream_baselines WHERE stream_id = ?1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<std::string>();
  return std::optional(st->text(0));
}

result<std::vector<stream_baseline>> select_baselines(sqlite_db& db) {
  auto st = db.prepare("SELECT stream_id, stats, last_seq, last_created_at FROM stream_baselines ORDER BY stream_id");
  if (!st) return st.err();
  std::vector<stream_baseline> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return out;
    row_reader r(*st);
    auto& b = out.emplace_back();
    b.stream_id = r.text();
    b.stats = r.text();
    b.last_seq = r.int64();
    b.last_created_at = r.int64();
  }
}

}  // namespace sorak::sqlite
