// The SQL for webhooks and their deliveries (declared in pg_queries.hpp).
//
// Deliveries are written in batches by one statement each: the batch travels as
// one JSON array parameter read with json_to_recordset, so a batch of any size
// is one round trip and one statement (all of it or nothing).
#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "store/pg_queries.hpp"
#include "store/webhook_rows.hpp"

namespace sorak::pg {

namespace {

#define PG_WEBHOOK_COLUMNS "id, url, events, stream_id, secret, created_at"
#define PG_DELIVERY_COLUMNS                                                                            \
  "id, webhook_id, event, stream_id, payload, created_at, status, attempts, next_attempt_at, "         \
  "last_attempt_at, response_status, error, delivered_at, lease_owner, lease_until"

webhook read_webhook(const result_set& r, int row) {
  row_reader c(r, row);
  webhook w;
  w.id = c.text();
  w.url = c.text();
  w.events = store_rows::decode_events(c.text());
  w.stream_id = c.optional_text();
  w.secret = c.text();
  w.created_at = c.int64();
  return w;
}

webhook_delivery read_delivery(const result_set& r, int row) {
  row_reader c(r, row);
  webhook_delivery d;
  d.id = c.text();
  d.webhook_id = c.text();
  d.event = parse_webhook_event(c.text()).value_or(webhook_event::message);
  d.stream_id = c.text();
  d.payload = c.text();
  d.created_at = c.int64();
  d.status = parse_delivery_status(c.text()).value_or(delivery_status::pending);
  d.attempts = static_cast<int>(c.int64());
  d.next_attempt_at = c.int64();
  d.last_attempt_at = c.int64();
  d.response_status = static_cast<int>(c.int64());
  d.error = c.text();
  d.delivered_at = c.int64();
  d.lease_owner = c.text();
  d.lease_until = c.int64();
  return d;
}

std::vector<webhook_delivery> deliveries_of(const result_set& r) {
  std::vector<webhook_delivery> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_delivery(r, i));
  return out;
}

}  // namespace

status insert_webhook(pg_connection& db, const webhook& w) {
  auto r = db.query("INSERT INTO webhooks (" PG_WEBHOOK_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6) "
                    "ON CONFLICT (id) DO NOTHING",
                    pg_params().add(w.id).add(w.url).add(store_rows::encode_events(w.events)).add(w.stream_id)
                        .add(w.secret).add(w.created_at));
  return r ? status(ok_value) : status(r.err());
}

result<std::vector<webhook>> select_webhooks(pg_connection& db) {
  auto r = db.query("SELECT " PG_WEBHOOK_COLUMNS " FROM webhooks ORDER BY created_at, id", pg_params());
  if (!r) return r.err();
  std::vector<webhook> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_webhook(*r, i));
  return out;
}

result<webhook> select_webhook(pg_connection& db, std::string_view id) {
  auto r = db.query("SELECT " PG_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1", pg_params().add(id));
  if (!r) return r.err();
  if (r->rows() == 0) return error(errc::webhook_not_found, "no such webhook");
  return read_webhook(*r, 0);
}

status remove_webhook(pg_connection& db, std::string_view id) {
  auto gone = db.query("DELETE FROM webhook_deliveries WHERE webhook_id = $1", pg_params().add(id));
  if (!gone) return gone.err();
  auto r = db.query("DELETE FROM webhooks WHERE id = $1 RETURNING id", pg_params().add(id));
  if (!r) return r.err();
  if (r->rows() == 0) return error(errc::webhook_not_found, "no such webhook");
  return ok_value;
}

status insert_deliveries(pg_connection& db, const std::vector<webhook_delivery>& ds) {
  boost::json::array rows;
  rows.reserve(ds.size());
  for (const auto& d : ds)
    rows.push_back(boost::json::object{{"id", d.id},
                                       {"webhook_id", d.webhook_id},
                                       {"event", to_string(d.event)},
                                       {"stream_id", d.stream_id},
                                       {"payload", d.payload},
                                       {"created_at", d.created_at},
                                       {"status", to_string(d.status)},
                                       {"attempts", d.attempts},
                                       {"next_attempt_at", d.next_attempt_at},
                                       {"last_attempt_at", d.last_attempt_at},
                                       {"response_status", d.response_status},
                                       {"error", d.error},
                                       {"delivered_at", d.delivered_at},
                                       {"lease_owner", d.lease_owner},
                                       {"lease_until", d.lease_until}});
  // A webhook deleted meanwhile gets none (no foreign key: a delete racing
  // this insert must not fail it).
  auto r = db.query(
      "INSERT INTO webhook_deliveries (" PG_DELIVERY_COLUMNS ") "
      "SELECT x.id, x.webhook_id, x.event, x.stream_id, x.payload, x.created_at, x.status, x.attempts, "
      "x.next_attempt_at, x.last_attempt_at, x.response_status, x.error, x.delivered_at, x.lease_owner, x.lease_until "
      "FROM json_to_recordset($1::json) AS x(id text, webhook_id text, event text, stream_id text, payload text, "
      "created_at bigint, status text, attempts integer, next_attempt_at bigint, last_attempt_at bigint, "
      "response_status integer, error text, delivered_at bigint, lease_owner text, lease_until bigint) "
      "WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.id = x.webhook_id) "
      "ON CONFLICT (id) DO NOTHING",
      pg_params().add(boost::json::serialize(rows)));
  return r ? status(ok_value) : status(r.err());
}

result<std::vector<webhook_delivery>> lease_deliveries(pg_connection& db, millis now, std::string_view owner,
                                                       millis lease_until, int limit) {
  // SKIP LOCKED: a node claiming at the same moment takes other rows, never these.
  auto r = db.query(
      "UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $3 WHERE id IN ("
      "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 "
      "ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING " PG_DELIVERY_COLUMNS,
      pg_params().add(now).add(owner).add(lease_until).add(limit));
  if (!r) return r.err();
  auto out = deliveries_of(*r);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

status record_outcomes(pg_connection& db, const std::vector<delivery_outcome>& outcomes) {
  boost::json::array rows;
  rows.reserve(outcomes.size());
  for (const auto& o : outcomes)
    rows.push_back(boost::json::object{{"id", o.id},
                                       {"status", to_string(o.status)},
                                       {"attempts", o.attempts},
                                       {"next_attempt_at", o.next_attempt_at},
                                       {"last_attempt_at", o.last_attempt_at},
                                       {"response_status", o.response_status},
                                       {"error", o.error},
                                       {"delivered_at", o.delivered_at}});
  auto r = db.query(
      "UPDATE webhook_deliveries d SET status = x.status, attempts = x.attempts, next_attempt_at = x.next_attempt_at, "
      "last_attempt_at = x.last_attempt_at, response_status = x.response_status, error = x.error, "
      "delivered_at = x.delivered_at, lease_owner = '', lease_until = 0 "
      "FROM json_to_recordset($1::json) AS x(id text, status text, attempts integer, next_attempt_at bigint, "
      "last_attempt_at bigint, response_status integer, error text, delivered_at bigint) WHERE d.id = x.id",
      pg_params().add(boost::json::serialize(rows)));
  return r ? status(ok_value) : status(r.err());
}

result<std::vector<webhook_delivery>> select_deliveries(pg_connection& db, std::string_view webhook_id, int limit) {
  auto r = db.query("SELECT " PG_DELIVERY_COLUMNS
                    " FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
                    pg_params().add(webhook_id).add(limit));
  if (!r) return r.err();
  return deliveries_of(*r);
}

result<std::int64_t> delete_finished_deliveries(pg_connection& db, millis before) {
  auto r = db.query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1",
                    pg_params().add(before));
  if (!r) return r.err();
  return r->affected();
}

}  // namespace sorak::pg
