// The SQL for webhooks and their deliveries (declared in sqlite_queries.hpp).
// Writes that change several rows run inside a savepoint of their own, so a
// failed one leaves nothing behind in the group transaction.
#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"
#include "store/webhook_rows.hpp"

#include <algorithm>

namespace sorak::sqlite {

namespace {

#define SORAK_WEBHOOK_COLUMNS "id, url, events, stream_id, secret, created_at"
#define SORAK_DELIVERY_COLUMNS                                                                         \
  "id, webhook_id, event, stream_id, payload, created_at, status, attempts, next_attempt_at, "         \
  "last_attempt_at, response_status, error, delivered_at, lease_owner, lease_until"

webhook read_webhook(const statement& st) {
  row_reader r(st);
  webhook w;
  w.id = r.text();
  w.url = r.text();
  w.events = store_rows::decode_events(r.text());
  w.stream_id = r.optional_text();
  w.secret = r.text();
  w.created_at = r.int64();
  return w;
}

webhook_delivery read_delivery(const statement& st) {
  row_reader r(st);
  webhook_delivery d;
  d.id = r.text();
  d.webhook_id = r.text();
  d.event = parse_webhook_event(r.text()).value_or(webhook_event::message);
  d.stream_id = r.text();
  d.payload = r.text();
  d.created_at = r.int64();
  d.status = parse_delivery_status(r.text()).value_or(delivery_status::pending);
  d.attempts = static_cast<int>(r.int64());
  d.next_attempt_at = r.int64();
  d.last_attempt_at = r.int64();
  d.response_status = static_cast<int>(r.int64());
  d.error = r.text();
  d.delivered_at = r.int64();
  d.lease_owner = r.text();
  d.lease_until = r.int64();
  return d;
}

// Steps a statement with RETURNING to its end: how many rows it changed.
result<std::int64_t> count_rows(statement& st) {
  std::int64_t n = 0;
  for (;;) {
    auto row = st.step();
    if (!row) return row.err();
    if (!*row) return n;
    ++n;
  }
}

// Runs f inside SAVEPOINT `webhooks`: all of its changes, or none.
template <class T, class F>
result<T> atomically(sqlite_db& db, F f) {
  if (auto s = db.exec("SAVEPOINT webhooks"); !s) return s.err();
  result<T> r = f();
  if (!r) {
    db.exec("ROLLBACK TO webhooks");
    db.exec("RELEASE webhooks");
    return r;
  }
  if (auto s = db.exec("RELEASE webhooks"); !s) return s.err();
  return r;
}

}  // namespace

status insert_webhook(sqlite_db& db, const webhook& w) {
  auto st = db.prepare("INSERT INTO webhooks (" SORAK_WEBHOOK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.err();
  st->bind_all(w.id, w.url, store_rows::encode_events(w.events), w.stream_id, w.secret, w.created_at);
  return st->run();
}

result<std::vector<webhook>> select_webhooks(sqlite_db& db) {
  auto st = db.prepare("SELECT " SORAK_WEBHOOK_COLUMNS " FROM webhooks ORDER BY created_at, id");
  if (!st) return st.err();
  return read_rows<webhook>(*st, read_webhook);
}

result<webhook> select_webhook(sqlite_db& db, std::string_view id) {
  auto st = db.prepare("SELECT " SORAK_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return error(errc::webhook_not_found, "no such webhook");
  return read_webhook(*st);
}

status remove_webhook(sqlite_db& db, std::string_view id) {
  return atomically<ok_t>(db, [&]() -> result<ok_t> {
    auto st = db.prepare("DELETE FROM webhooks WHERE id = ?1 RETURNING id");
    if (!st) return st.err();
    st->bind(1, id);
    auto removed = count_rows(*st);
    if (!removed) return removed.err();
    if (*removed == 0) return error(errc::webhook_not_found, "no such webhook");
    auto gone = db.prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?1");
    if (!gone) return gone.err();
    gone->bind(1, id);
    if (auto s = gone->run(); !s) return s.err();
    return ok_value;
  });
}

status insert_deliveries(sqlite_db& db, const std::vector<webhook_delivery>& ds) {
  return atomically<ok_t>(db, [&]() -> result<ok_t> {
    for (const auto& d : ds) {
      auto st = db.prepare(
          "INSERT INTO webhook_deliveries (" SORAK_DELIVERY_COLUMNS
          ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15"
          " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?2)");
      if (!st) return st.err();
      st->bind_all(d.id, d.webhook_id, std::string_view(to_string(d.event)), d.stream_id, d.payload, d.created_at,
                   std::string_view(to_string(d.status)), d.attempts, d.next_attempt_at, d.last_attempt_at,
                   d.response_status, d.error, d.delivered_at, d.lease_owner, d.lease_until);
      if (auto s = st->run(); !s) return s.err();
    }
    return ok_value;
  });
}

result<std::vector<webhook_delivery>> lease_deliveries(sqlite_db& db, millis now, std::string_view owner,
                                                       millis lease_until, int limit) {
  auto st = db.prepare(
      "UPDATE webhook_deliveries SET lease_owner = ?2, lease_until = ?3 WHERE id IN ("
      "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 AND lease_until <= ?1"
      " ORDER BY id LIMIT ?4) RETURNING " SORAK_DELIVERY_COLUMNS);
  if (!st) return st.err();
  st->bind_all(now, owner, lease_until, limit);
  auto rows = read_rows<webhook_delivery>(*st, read_delivery);
  if (rows) std::sort(rows->begin(), rows->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return rows;
}

status record_outcomes(sqlite_db& db, const std::vector<delivery_outcome>& outcomes) {
  return atomically<ok_t>(db, [&]() -> result<ok_t> {
    for (const auto& o : outcomes) {
      auto st = db.prepare(
          "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_attempt_at = ?5,"
          " response_status = ?6, error = ?7, delivered_at = ?8, lease_owner = '', lease_until = 0 WHERE id = ?1");
      if (!st) return st.err();
      st->bind_all(o.id, std::string_view(to_string(o.status)), o.attempts, o.next_attempt_at, o.last_attempt_at,
                   o.response_status, o.error, o.delivered_at);
      if (auto s = st->run(); !s) return s.err();
    }
    return ok_value;
  });
}

result<std::vector<webhook_delivery>> select_deliveries(sqlite_db& db, std::string_view webhook_id, int limit) {
  auto st = db.prepare("SELECT " SORAK_DELIVERY_COLUMNS
                       " FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT ?2");
  if (!st) return st.err();
  st->bind_all(webhook_id, limit);
  return read_rows<webhook_delivery>(*st, read_delivery);
}

result<std::int64_t> delete_finished_deliveries(sqlite_db& db, millis before) {
  auto st = db.prepare("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?1 RETURNING id");
  if (!st) return st.err();
  st->bind(1, before);
  return count_rows(*st);
}

}  // namespace sorak::sqlite
