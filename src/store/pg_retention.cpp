// Retention on PostgreSQL (declared in pg_queries.hpp): one pass, on a
// connection of its own, under a session advisory lock so one node prunes at a
// time. A month partition wholly older than the cutoff is folded into the
// baselines and dropped in one transaction; what is left older than the
// cutoff goes by batched DELETE, a short transaction per batch. Messages are
// folded oldest first per stream: partitions in month order, then rows in
// stream_seq order, and once a partition cannot be dropped the rest goes row
// by row, so a stream's baseline never gets an older message after a newer.
#include <spdlog/spdlog.h>

#include <exception>
#include <map>
#include <set>

#include "store/pg_queries.hpp"
#include "store/pg_rows.hpp"
#include "store/pg_schema.hpp"

namespace sorak::pg {

namespace {

// How long a partition's DROP waits for the table lock (it queues the writer
// behind it meanwhile) before the pass gives up and deletes row by row.
constexpr const char* drop_lock_timeout = "SET LOCAL lock_timeout = '2s'";

struct folded {
  std::string stats;
  std::int64_t last_seq = 0;
  millis last_created_at = 0;
};

result<std::string> baseline_of(pg_connection& db, const std::string& stream_id) {
  auto b = select_baseline(db, stream_id);
  if (!b) return b.err();
  return b->value_or("");
}

result<std::string> fold_rows(const stats_fold& fold, const std::string& stream_id, const std::string& baseline,
                              const std::vector<message>& rows) {
  try {
    return fold(stream_id, baseline, rows);
  } catch (const std::exception& e) {
    return error(errc::internal, std::string("folding pruned messages failed: ") + e.what());
  }
}

// Folds one stream's run of rows into `into` (its baseline read first).
status fold_run(pg_connection& db, const stats_fold& fold, const std::string& stream_id,
                const std::vector<message>& rows, std::map<std::string, folded>& into) {
  auto it = into.find(stream_id);
  if (it == into.end()) {
    auto b = baseline_of(db, stream_id);
    if (!b) return b.err();
    it = into.emplace(stream_id, folded{std::move(*b)}).first;
  }
  auto stats = fold_rows(fold, stream_id, it->second.stats, rows);
  if (!stats) return stats.err();
  it->second = folded{std::move(*stats), rows.back().seq, rows.back().created_at};
  return ok_value;
}

// Folds every row the cursor `sorak_prune` yields (ordered by stream, then
// stream_seq), a FETCH at a time; returns how many rows there were.
result<std::int64_t> fold_cursor(pg_connection& db, const stats_fold& fold, std::map<std::string, folded>& into) {
  std::int64_t total = 0;
  for (;;) {
    auto r = db.query("FETCH " + std::to_string(store::prune_batch) + " FROM sorak_prune");
    if (!r) return r.err();
    auto rows = read_messages(*r);
    total += static_cast<std::int64_t>(rows.size());
    for (std::size_t i = 0; i < rows.size();) {
      std::size_t j = i;
      while (j < rows.size() && rows[j].stream_id == rows[i].stream_id) ++j;
      std::vector<message> run(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(i)),
                               std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(j)));
      if (auto s = fold_run(db, fold, run.front().stream_id, run, into); !s) return s.err();
      i = j;
    }
    if (r->rows() < store::prune_batch) return total;
  }
}

status store_folds(pg_connection& db, const std::map<std::string, folded>& folds) {
  for (const auto& [id, f] : folds)
    if (auto s = upsert_baseline(db, {id, f.stats, f.last_seq, f.last_created_at}); !s) return s;
  return ok_value;
}

status end_transaction(pg_connection& db, status s) {
  if (s) return db.commit();
  if (db.in_transaction()) db.exec("ROLLBACK");
  return s;
}

// ---- whole partitions ----------------------------------------------------------

// Months whose partition ends at or before the cutoff, oldest first.
result<std::vector<std::int64_t>> old_months(pg_connection& db, millis cutoff) {
  auto r = db.query(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'messages'::regclass");
  if (!r) return r.err();
  std::set<std::int64_t> months;
  for (int i = 0; i < r->rows(); ++i)
    if (auto m = partition_month(r->text(i, 0)); m && month_start(*m + 1) <= cutoff) months.insert(*m);
  return std::vector<std::int64_t>(months.begin(), months.end());
}

// REQUIRES: inside a transaction. SHARE mode first: no row can enter the
// partition while it is folded (readers and other months' writers go on).
status fold_and_drop(pg_connection& db, const std::string& name, const stats_fold& fold, std::int64_t& rows,
                     std::set<std::string>& streams) {
  if (auto s = db.exec(drop_lock_timeout); !s) return s;
  if (auto s = db.exec("LOCK TABLE " + name + " IN SHARE MODE"); !s) return s;
  if (auto s = db.exec("DECLARE sorak_prune NO SCROLL CURSOR FOR SELECT " PG_MESSAGE_COLUMNS " FROM " + name +
                       " ORDER BY stream_id, stream_seq");
      !s)
    return s;
  std::map<std::string, folded> folds;
  auto n = fold_cursor(db, fold, folds);
  if (!n) return n.err();
  if (auto s = db.exec("CLOSE sorak_prune"); !s) return s;
  if (auto s = store_folds(db, folds); !s) return s;
  auto pins = db.query("DELETE FROM pins p USING " + name + " m WHERE p.stream_id = m.stream_id AND p.message_id = m.id");
  if (!pins) return pins.err();
  if (auto s = db.exec("DROP TABLE " + name); !s) return s;
  rows = *n;
  for (const auto& [id, f] : folds) streams.insert(id);
  return ok_value;
}

result<std::int64_t> drop_partition(pg_connection& db, std::int64_t month, const stats_fold& fold,
                                    std::set<std::string>& streams) {
  if (auto s = db.exec("BEGIN"); !s) return s.err();
  std::int64_t rows = 0;
  std::set<std::string> touched;
  if (auto s = end_transaction(db, fold_and_drop(db, partition_name(month), fold, rows, touched)); !s)
    return s.err();
  streams.insert(touched.begin(), touched.end());
  return rows;
}

// ---- rows, a batch at a time -------------------------------------------------------

result<std::vector<std::string>> streams_to_prune(pg_connection& db, millis cutoff) {
  auto r = db.query(
      "SELECT id FROM streams s WHERE EXISTS "
      "(SELECT 1 FROM messages m WHERE m.stream_id = s.id AND m.created_at < $1) ORDER BY id",
      pg_params().add(cutoff));
  if (!r) return r.err();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->text(i, 0));
  return out;
}

// REQUIRES: inside a transaction.
result<std::int64_t> fold_and_delete(pg_connection& db, const std::string& stream_id, millis cutoff,
                                     const stats_fold& fold) {
  auto r = db.query("SELECT " PG_MESSAGE_COLUMNS
                    " FROM messages WHERE stream_id = $1 AND created_at < $2 ORDER BY stream_seq ASC LIMIT $3"
                    " FOR UPDATE",
                    pg_params().add_all(stream_id, cutoff, store::prune_batch));
  if (!r) return r.err();
  auto rows = read_messages(*r);
  if (rows.empty()) return std::int64_t{0};
  std::map<std::string, folded> folds;
  if (auto s = fold_run(db, fold, stream_id, rows, folds); !s) return s.err();
  if (auto s = store_folds(db, folds); !s) return s.err();
  const auto through = pg_params().add_all(stream_id, rows.back().seq, cutoff);
  auto pins = db.query(
      "DELETE FROM pins p WHERE p.stream_id = $1 AND EXISTS (SELECT 1 FROM messages m WHERE m.stream_id = $1 "
      "AND m.id = p.message_id AND m.stream_seq <= $2 AND m.created_at < $3)",
      through);
  if (!pins) return pins.err();
  auto gone = db.query("DELETE FROM messages WHERE stream_id = $1 AND stream_seq <= $2 AND created_at < $3", through);
  if (!gone) return gone.err();
  return static_cast<std::int64_t>(rows.size());
}

result<std::int64_t> delete_batch(pg_connection& db, const std::string& stream_id, millis cutoff,
                                  const stats_fold& fold) {
  if (auto s = db.exec("BEGIN"); !s) return s.err();
  auto n = fold_and_delete(db, stream_id, cutoff, fold);
  if (auto s = end_transaction(db, n ? status(ok_value) : status(n.err())); !s) return s.err();
  return n;
}

result<std::int64_t> delete_rows(pg_connection& db, millis cutoff, const stats_fold& fold,
                                 std::set<std::string>& streams) {
  auto ids = streams_to_prune(db, cutoff);
  if (!ids) return ids.err();
  std::int64_t total = 0;
  for (const auto& id : *ids) {
    for (;;) {
      auto n = delete_batch(db, id, cutoff, fold);
      if (!n) return n.err();
      total += *n;
      if (*n > 0) streams.insert(id);
      if (*n < store::prune_batch) break;
    }
  }
  return total;
}

result<prune_report> prune_locked(pg_connection& db, millis cutoff, const stats_fold& fold) {
  prune_report report;
  std::set<std::string> streams;
  auto months = old_months(db, cutoff);
  if (!months) return months.err();
  for (std::int64_t m : *months) {
    auto n = drop_partition(db, m, fold, streams);
    if (!n) {
      spdlog::warn("retention: could not drop partition {} ({}); deleting its rows in batches instead",
                   partition_name(m), n.err().message);
      break;  // the rest row by row, so each stream is still folded oldest first
    }
    report.messages += *n;
    ++report.partitions_dropped;
  }
  auto n = delete_rows(db, cutoff, fold, streams);
  if (!n) return n.err();
  report.messages += *n;
  report.streams = static_cast<std::int64_t>(streams.size());
  return report;
}

}  // namespace

result<prune_report> prune_pass(pg_connection& db, millis cutoff, const stats_fold& fold) {
  const auto key = pg_params().add(retention_lock_key());
  auto locked = db.query("SELECT pg_try_advisory_lock($1)", key);
  if (!locked) return locked.err();
  if (!locked->boolean(0, 0)) {
    spdlog::info("retention: another node is pruning; this pass skipped");
    return prune_report{};
  }
  auto report = prune_locked(db, cutoff, fold);
  if (!db.broken()) db.query("SELECT pg_advisory_unlock($1)", key);  // a broken connection released it
  return report;
}

status upsert_baseline(pg_connection& db, const stream_baseline& b) {
  auto r = db.query(
      "INSERT INTO stream_baselines (stream_id, stats, last_seq, last_created_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (stream_id) DO UPDATE SET stats = excluded.stats, last_seq = excluded.last_seq, "
      "last_created_at = excluded.last_created_at",
      pg_params().add_all(b.stream_id, b.stats, b.last_seq, b.last_created_at));
  return r ? status(ok_value) : status(r.err());
}

status import_baseline_row(pg_connection& db, const stream_baseline& b) {
  if (auto s = upsert_baseline(db, b); !s) return s;
  // The stream's numbering goes on after its pruned messages.
  auto r = db.query(
      "INSERT INTO stream_heads (stream_id, last_seq, last_created_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (stream_id) DO UPDATE SET last_seq = GREATEST(stream_heads.last_seq, excluded.last_seq), "
      "last_created_at = GREATEST(stream_heads.last_created_at, excluded.last_created_at)",
      pg_params().add_all(b.stream_id, b.last_seq, b.last_created_at));
  return r ? status(ok_value) : status(r.err());
}

result<std::optional<std::string>> select_baseline(pg_connection& db, std::string_view stream_id) {
  auto r = db.query("SELECT stats FROM stream_baselines WHERE stream_id = $1", pg_params().add(stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<std::string>();
  return std::optional(r->text(0, 0));
}

result<std::vector<stream_baseline>> select_baselines(pg_connection& db) {
  auto r = db.query("SELECT stream_id, stats, last_seq, last_created_at FROM stream_baselines ORDER BY stream_id");
  if (!r) return r.err();
  std::vector<stream_baseline> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->text(i, 0), r->text(i, 1), r->int64(i, 2), r->int64(i, 3)});
  return out;
}

}  // namespace sorak::pg
