// The SQL for messages (declared in pg_queries.hpp). Pages walk stream_seq,
// the stream's own sequence, so a cursor is exact even if two messages share a
// timestamp; created_at grows with stream_seq, which lets a query that knows a
// cursor's created_at skip the monthly partitions that cannot hold the page.
#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <unordered_set>

#include "store/pg_queries.hpp"
#include "store/pg_rows.hpp"
#include "store/row_parts.hpp"
#include "store/pg_schema.hpp"

namespace sorak::pg {

namespace statements {
const char* const message_place = "SELECT stream_seq, created_at FROM messages WHERE id = $1 AND stream_id = $2";
const char* const newest_below = "SELECT " PG_MESSAGE_COLUMNS
                                 " FROM messages WHERE stream_id = $1 "
                                 "AND stream_seq < $2 AND created_at <= $3 AND NOT deleted "
                                 "ORDER BY stream_seq DESC LIMIT $4";
const char* const after = "SELECT " PG_MESSAGE_COLUMNS
                          " FROM messages WHERE stream_id = $1 AND stream_seq > $2 "
                          "AND created_at > $3 AND NOT deleted ORDER BY stream_seq ASC LIMIT $4";
}  // namespace statements

namespace {

constexpr std::int64_t past_the_end = std::numeric_limits<std::int64_t>::max();

error message_not_found() { return error(errc::message_not_found, "no such message in this stream"); }

struct head {
  std::int64_t seq = 0;
  millis created_at = 0;
  bool changed = false;
};
using heads = std::map<std::string, head>;  // ordered: rows are locked in stream id order

const char* const lock_heads_sql =
    "SELECT h.stream_id, h.last_seq, h.last_created_at FROM unnest($1::text[]) AS u(id) "
    "JOIN stream_heads h ON h.stream_id = u.id ORDER BY h.stream_id FOR UPDATE OF h";

// How far before a message's own created_at a stored copy of it is looked
// for. A copy's created_at is the one it was appended with, or later (numbering
// only raises it), so this is slack for a caller's clock, not for the store.
constexpr millis duplicate_window = 10 * 60 * 1000;

// Ids of the group already stored. Each id is one probe of messages_by_id (in
// the partitions the created_at bound leaves): written as a join, the planner
// does not estimate each element of the array as it does for `id = ANY($1)`,
// which cost more than the lookups.
const char* const stored_ids_sql =
    "SELECT u.id FROM unnest($1::text[]) AS u(id), "
    "LATERAL (SELECT 1 FROM messages m WHERE m.id = u.id AND m.created_at >= $2 LIMIT 1) AS found";

// What a group of appends reads before it writes: its streams' heads, locked,
// and which of its ids are stored already.
struct group_reads {
  heads hs;
  std::unordered_set<std::string> seen;
};

void read_seen(const result_set& r, std::unordered_set<std::string>& seen) {
  for (int i = 0; i < r.rows(); ++i) seen.insert(r.text(i, 0));
}

bool read_heads(const result_set& r, heads& hs) {
  if (r.rows() != static_cast<int>(hs.size())) return false;
  for (int i = 0; i < r.rows(); ++i) hs[r.text(i, 0)] = head{r.int64(i, 1), r.int64(i, 2)};
  return true;
}

// Locks the head row of each stream (creating missing ones), then reads which
// ids are stored: after the lock, so a second writer of the same stream (a
// retry on another node) waits for our commit and then sees our rows. With
// `begin` the transaction opens in the same round trip.
result<group_reads> read_group(pg_connection& db, const std::vector<message*>& ms, bool begin) {
  group_reads out;
  std::vector<std::optional<std::string>> stream_ids, ids;
  millis oldest = std::numeric_limits<millis>::max();
  for (const message* m : ms) {
    out.hs.try_emplace(m->stream_id);
    ids.emplace_back(m->id);
    oldest = std::min(oldest, m->created_at);
  }
  for (const auto& [id, h] : out.hs) stream_ids.emplace_back(id);
  const pg_params lock_p = pg_params().add(text_array(stream_ids));
  const pg_params ids_p = pg_params().add_all(text_array(ids), oldest - duplicate_window);
  std::vector<pg_connection::step> steps;
  if (begin) steps.push_back({"", "BEGIN"});
  steps.push_back({"sorak_lock_heads", lock_heads_sql, &lock_p});
  steps.push_back({"sorak_stored_ids", stored_ids_sql, &ids_p});
  auto rs = db.pipeline(steps);
  if (!rs) return rs.err();
  if (read_heads((*rs)[steps.size() - 2], out.hs)) {
    read_seen(rs->back(), out.seen);
    return out;
  }
  // A stream created before heads existed, or written before it was created:
  // its head is made, then all are locked, then the ids looked up again.
  auto made = db.query(
      "INSERT INTO stream_heads (stream_id, last_seq, last_created_at) "
      "SELECT unnest($1::text[]), 0, 0 ON CONFLICT (stream_id) DO NOTHING",
      lock_p);
  if (!made) return made.err();
  const std::vector<pg_connection::step> again{{"sorak_lock_heads", lock_heads_sql, &lock_p},
                                               {"sorak_stored_ids", stored_ids_sql, &ids_p}};
  rs = db.pipeline(again);
  if (!rs) return rs.err();
  if (!read_heads(rs->front(), out.hs))
    return error(errc::internal, "postgres: stream heads vanished while being locked");
  read_seen(rs->back(), out.seen);
  return out;
}

// Gives each new message its seq and a created_at above the stream's last.
std::vector<const message*> number(const std::vector<message*>& ms, std::vector<bool>& duplicate, heads& hs,
                                   std::unordered_set<std::string>& seen) {
  std::vector<const message*> fresh;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    message& m = *ms[i];
    if (!seen.insert(m.id).second) {
      duplicate[i] = true;
      continue;
    }
    head& h = hs[m.stream_id];
    m.seq = ++h.seq;
    m.created_at = std::max(m.created_at, h.created_at + 1);
    h.created_at = m.created_at;
    h.changed = true;
    fresh.push_back(&m);
  }
  return fresh;
}

status ensure_months(pg_connection& db, const std::vector<const message*>& ms, partition_months months) {
  for (const message* m : ms) {
    const std::int64_t month = month_of(m->created_at);
    if (months.known.count(month) ||
        std::find(months.created.begin(), months.created.end(), month) != months.created.end())
      continue;
    if (auto s = ensure_partition(db, month); !s) return s;
    months.created.push_back(month);
  }
  return ok_value;
}

const char* const insert_messages_sql =
    "INSERT INTO messages (" PG_MESSAGE_COLUMNS
    ") SELECT * FROM unnest("
    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], "
    "$8::boolean[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
    "$14::bigint[], $15::bigint[], $16::bigint[], $17::text[], $18::bigint[], $19::text[], "
    "$20::boolean[], $21::bigint[])";

// One INSERT a row (the multi-row insert's baseline, kept for measuring it).
status insert_row_by_row(pg_connection& db, const std::vector<const message*>& ms) {
  for (const message* m : ms) {
    pg_params p;
    add_message(p, *m);
    auto r = db.query("INSERT INTO messages (" PG_MESSAGE_COLUMNS
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                      "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
                      p);
    if (!r) return r.err();
  }
  return ok_value;
}

const char* const store_heads_sql =
    "UPDATE stream_heads h SET last_seq = d.seq, last_created_at = d.created_at "
    "FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS d(stream_id, seq, created_at) "
    "WHERE h.stream_id = d.stream_id";

pg_params changed_heads(const heads& hs) {
  std::vector<std::optional<std::string>> ids;
  std::vector<std::optional<std::int64_t>> seqs, times;
  for (const auto& [id, h] : hs) {
    if (!h.changed) continue;
    ids.emplace_back(id);
    seqs.emplace_back(h.seq);
    times.emplace_back(h.created_at);
  }
  return pg_params().add_all(text_array(ids), int_array(seqs), int_array(times));
}

// Inserts the new messages and moves their streams' heads (and commits, with
// txn.own), in one round trip.
status write_rows(pg_connection& db, const std::vector<const message*>& fresh, const heads& hs, bool multi_row,
                  append_txn txn) {
  if (!multi_row)
    if (auto s = insert_row_by_row(db, fresh); !s) return s;
  const pg_params rows = multi_row ? message_arrays(fresh) : pg_params();
  const pg_params moved = changed_heads(hs);
  std::vector<pg_connection::step> steps;
  if (multi_row) steps.push_back({"sorak_insert_messages", insert_messages_sql, &rows});
  steps.push_back({"sorak_store_heads", store_heads_sql, &moved});
  if (txn.own) {
    steps.push_back({"", "COMMIT"});
    if (txn.commit_sent) *txn.commit_sent = true;
  }
  auto rs = db.pipeline(steps);
  if (!rs) return rs.err();
  // An aborted transaction "commits" as ROLLBACK, with a success status.
  if (txn.own && rs->back().command_tag() != "COMMIT")
    return error(errc::internal, "postgres: the transaction was rolled back");
  return ok_value;
}

// ---- one round trip, numbered from the cache ---------------------------------------

// What a committed run left, for the next run of the same streams (bounded:
// past max_streams the cache starts again empty).
void remember_heads(head_cache& cache, const heads& hs) {
  if (cache.heads.size() + hs.size() > cache.max_streams) cache.heads.clear();
  for (const auto& [id, h] : hs) cache.heads[id] = {h.seq, h.created_at};
}

// Locks the run's heads (in stream id order, as lock_heads_sql) and writes the
// run only if every head is still what the cache said ($22–$24) and no id of
// the run ($27) is stored; answers whether it wrote. $1–$21 are the rows
// (insert_messages_sql), $25–$26 the heads they leave. One statement, so BEGIN,
// it and COMMIT go out together.
const std::string& append_checked_sql() {
  static const std::string sql =
      std::string("WITH locked AS MATERIALIZED ("
                  "SELECT h.stream_id, h.last_seq, h.last_created_at FROM unnest($22::text[]) AS u(id) "
                  "JOIN stream_heads h ON h.stream_id = u.id ORDER BY h.stream_id FOR UPDATE OF h), "
                  "ok AS MATERIALIZED (SELECT "
                  "(SELECT count(*) FROM locked l "
                  "JOIN unnest($22::text[], $23::bigint[], $24::bigint[]) AS d(id, seq, created_at) "
                  "ON l.stream_id = d.id AND l.last_seq = d.seq AND l.last_created_at = d.created_at) "
                  "= cardinality($22::text[]) "
                  "AND NOT EXISTS (SELECT 1 FROM unnest($27::text[]) AS u(id), "
                  "LATERAL (SELECT 1 FROM messages m WHERE m.id = u.id AND m.created_at >= $28 LIMIT 1) AS found) "
                  "AS ok), "
                  "written AS (") +
      insert_messages_sql +
      " WHERE (SELECT ok FROM ok)), "
      "moved AS (UPDATE stream_heads h SET last_seq = d.seq, last_created_at = d.created_at "
      "FROM unnest($22::text[], $25::bigint[], $26::bigint[]) AS d(id, seq, created_at) "
      "WHERE h.stream_id = d.id AND (SELECT ok FROM ok)) "
      "SELECT ok FROM ok";
  return sql;
}

enum class one_trip { written, moved, not_covered };

// The run numbered from the cache and written in one round trip, when the
// cache covers it: every stream's head known, every month's partition made.
// `moved`: another node wrote meanwhile (or an id is stored); nothing was
// written and the run is as it came, to be written the two-trip way.
result<one_trip> write_from_cache(pg_connection& db, const std::vector<message*>& ms, std::vector<bool>& duplicate,
                                  head_cache& cache, partition_months months, append_txn txn) {
  heads hs;
  const auto now = std::chrono::steady_clock::now();
  for (const message* m : ms) {
    if (auto c = cache.contended.find(m->stream_id); c != cache.contended.end()) {
      if (c->second > now) return one_trip::not_covered;
      cache.contended.erase(c);
    }
    auto it = cache.heads.find(m->stream_id);
    if (it == cache.heads.end()) return one_trip::not_covered;
    hs.try_emplace(m->stream_id, head{it->second.seq, it->second.created_at});
  }
  const heads before = hs;
  std::vector<millis> proposed;
  proposed.reserve(ms.size());
  for (const message* m : ms) proposed.push_back(m->created_at);
  const auto undo = [&] {
    for (std::size_t i = 0; i < ms.size(); ++i) {
      ms[i]->seq = 0;
      ms[i]->created_at = proposed[i];
    }
    std::fill(duplicate.begin(), duplicate.end(), false);
  };
  std::unordered_set<std::string> seen;
  const auto fresh = number(ms, duplicate, hs, seen);
  for (const message* m : fresh)
    if (!months.known.count(month_of(m->created_at))) {
      undo();
      return one_trip::not_covered;
    }
  pg_params p = message_arrays(fresh);
  std::vector<std::optional<std::string>> ids, message_ids;
  std::vector<std::optional<std::int64_t>> seqs, times, new_seqs, new_times;
  for (const auto& [id, h] : hs) {
    const head& old = before.at(id);
    ids.emplace_back(id);
    seqs.emplace_back(old.seq);
    times.emplace_back(old.created_at);
    new_seqs.emplace_back(h.seq);
    new_times.emplace_back(h.created_at);
  }
  for (const message* m : fresh) message_ids.emplace_back(m->id);
  const millis oldest = *std::min_element(proposed.begin(), proposed.end());
  p.add_all(text_array(ids), int_array(seqs), int_array(times), int_array(new_seqs), int_array(new_times),
            text_array(message_ids), oldest - duplicate_window);
  const std::vector<pg_connection::step> steps{
      {"", "BEGIN"}, {"sorak_append_checked", append_checked_sql(), &p}, {"", "COMMIT"}};
  if (txn.commit_sent) *txn.commit_sent = true;
  if (txn.one_trip) *txn.one_trip = true;
  auto rs = db.pipeline(steps);
  if (!rs) return rs.err();
  if (rs->back().command_tag() != "COMMIT") return error(errc::internal, "postgres: the transaction was rolled back");
  if ((*rs)[1].rows() != 1 || (*rs)[1].text(0, 0) != "t") {
    // Nothing was written: the COMMIT closed an empty transaction.
    if (txn.commit_sent) *txn.commit_sent = false;
    if (txn.one_trip) *txn.one_trip = false;
    ++cache.stale;
    if (cache.contended.size() + hs.size() > cache.max_streams) cache.contended.clear();
    for (const auto& [id, h] : hs) {
      cache.heads.erase(id);
      cache.contended[id] = now + cache.contended_pause;
    }
    undo();
    return one_trip::moved;
  }
  ++cache.one_trip;
  remember_heads(cache, hs);
  return one_trip::written;
}

// A message's place in its stream: its seq and created_at.
struct place {
  std::int64_t seq;
  millis created_at;
};

result<std::optional<place>> place_of(pg_connection& db, std::string_view stream_id, std::string_view message_id) {
  auto r = db.query(statements::message_place, pg_params().add_all(message_id, stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<place>();
  return std::optional(place{r->int64(0, 0), r->int64(0, 1)});
}

// Up to n non-deleted messages before `below`, newest first.
result<std::vector<message>> newest_below(pg_connection& db, std::string_view stream_id, std::optional<place> below,
                                          int n) {
  pg_params p;
  p.add_all(stream_id, below ? below->seq : past_the_end, below ? below->created_at : past_the_end, n);
  auto r = db.query(statements::newest_below, p);
  if (!r) return r.err();
  return read_messages(*r);
}

}  // namespace

// ---- the group write ------------------------------------------------------------

status insert_appends(pg_connection& db, const std::vector<message*>& ms, std::vector<bool>& duplicate,
                      partition_months months, bool multi_row, append_txn txn, head_cache* cache) {
  std::fill(duplicate.begin(), duplicate.end(), false);
  if (cache && multi_row && txn.own && !ms.empty()) {
    auto fast = write_from_cache(db, ms, duplicate, *cache, months, txn);
    if (!fast) return fast.err();
    if (*fast == one_trip::written) return ok_value;
  }
  auto read = read_group(db, ms, txn.own);
  if (!read) return read.err();
  auto fresh = number(ms, duplicate, read->hs, read->seen);
  if (fresh.empty()) {
    if (!txn.own) return ok_value;
    if (txn.commit_sent) *txn.commit_sent = true;
    return db.commit();
  }
  if (auto s = ensure_months(db, fresh, months); !s) return s;
  auto s = write_rows(db, fresh, read->hs, multi_row, txn);
  if (s && cache && txn.own) remember_heads(*cache, read->hs);
  return s;
}

// ---- reads ----------------------------------------------------------------------

result<history_page> select_history(pg_connection& db, std::string_view stream_id, int limit,
                                    std::optional<std::string_view> before_id) {
  limit = std::max(limit, 1);
  std::optional<place> below;
  if (before_id) {
    auto p = place_of(db, stream_id, *before_id);
    if (!p) return p.err();
    if (!*p) return error(errc::invalid_cursor, "`before` is not a message of this stream");
    below = **p;
  }
  // One row more than asked tells whether an older page exists.
  auto rows = newest_below(db, stream_id, below, limit + 1);
  if (!rows) return rows.err();
  return store_detail::history_page_from_newest(std::move(*rows), limit);
}

result<std::vector<message>> select_latest(pg_connection& db, std::string_view stream_id, int n) {
  if (n <= 0) return std::vector<message>();
  auto rows = newest_below(db, stream_id, std::nullopt, n);
  if (rows) std::reverse(rows->begin(), rows->end());
  return rows;
}

result<std::vector<message>> select_after(pg_connection& db, std::string_view stream_id, std::string_view message_id,
                                          int max) {
  auto p = place_of(db, stream_id, message_id);
  if (!p) return p.err();
  if (!*p) return message_not_found();
  if (max <= 0) return std::vector<message>();
  auto r = db.query(statements::after, pg_params().add_all(stream_id, (*p)->seq, (*p)->created_at, max));
  if (!r) return r.err();
  return read_messages(*r);
}

result<message> select_message(pg_connection& db, std::string_view stream_id, std::string_view message_id) {
  auto r = db.query("SELECT " PG_MESSAGE_COLUMNS " FROM messages WHERE id = $1 AND stream_id = $2",
                    pg_params().add_all(message_id, stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return message_not_found();
  return read_message(*r, 0);
}

result<std::vector<message>> select_deleted_after(pg_connection& db, std::string_view stream_id,
                                                  std::string_view message_id) {
  auto p = place_of(db, stream_id, message_id);
  if (!p) return p.err();
  if (!*p) return std::vector<message>();
  auto r = db.query("SELECT " PG_MESSAGE_COLUMNS
                    " FROM messages WHERE stream_id = $1 AND stream_seq > $2 "
                    "AND created_at > $3 AND deleted ORDER BY stream_seq ASC",
                    pg_params().add_all(stream_id, (*p)->seq, (*p)->created_at));
  if (!r) return r.err();
  return read_messages(*r);
}

result<std::optional<millis>> select_last_created_at(pg_connection& db, std::string_view stream_id) {
  // The head holds the newest message's created_at without touching messages.
  auto r = db.query("SELECT last_created_at FROM stream_heads WHERE stream_id = $1 AND last_seq > 0",
                    pg_params().add(stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<millis>();
  return std::optional<millis>(r->int64(0, 0));
}

}  // namespace sorak::pg
