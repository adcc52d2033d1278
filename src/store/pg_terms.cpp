// The SQL for blocked terms and the pinned message (declared in pg_queries.hpp).
#include "store/pg_queries.hpp"

namespace sorak::pg {

namespace {

#define PG_TERM_COLUMNS "id, stream_id, term, folded, created_by, created_at"

blocked_term read_term(const result_set& r, int row) {
  row_reader c(r, row);
  blocked_term t;
  t.id = c.text();
  t.stream_id = c.text();
  t.term = c.text();
  t.folded = c.text();
  t.created_by = c.text();
  t.created_at = c.int64();
  return t;
}

}  // namespace

result<blocked_term> insert_blocked_term(pg_connection& db, const blocked_term& t) {
  // Two nodes adding one term at once: the unique (stream_id, folded) keeps
  // one row, and the other learns it exists.
  auto r = db.query("INSERT INTO blocked_terms (" PG_TERM_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6) "
                    "ON CONFLICT (stream_id, folded) DO NOTHING",
                    pg_params().add(t.id).add(t.stream_id).add(t.term).add(t.folded).add(t.created_by).add(t.created_at));
  if (!r) return r.err();
  if (r->affected() == 0) {
    auto same = db.query("SELECT term FROM blocked_terms WHERE stream_id = $1 AND folded = $2",
                         pg_params().add(t.stream_id).add(t.folded));
    const std::string term = same && same->rows() ? same->text(0, 0) : t.term;
    return error(errc::blocked_term_exists, "\"" + term + "\" is blocked here already");
  }
  return t;
}

result<blocked_term> delete_blocked_term(pg_connection& db, std::string_view stream_id, std::string_view term_id) {
  auto r = db.query("DELETE FROM blocked_terms WHERE stream_id = $1 AND id = $2 RETURNING " PG_TERM_COLUMNS,
                    pg_params().add(stream_id).add(term_id));
  if (!r) return r.err();
  if (r->rows() == 0) return error(errc::blocked_term_not_found, "no such blocked term in this stream");
  return read_term(*r, 0);
}

status upsert_pin(pg_connection& db, const pin_record& p) {
  auto r = db.query("INSERT INTO pins (stream_id, message_id, pinned_by, pinned_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT (stream_id) DO UPDATE SET message_id = excluded.message_id, "
                    "pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at",
                    pg_params().add(p.stream_id).add(p.message_id).add(p.pinned_by).add(p.pinned_at));
  return r ? status(ok_value) : status(r.err());
}

status delete_pin(pg_connection& db, std::string_view stream_id) {
  auto r = db.query("DELETE FROM pins WHERE stream_id = $1", pg_params().add(stream_id));
  return r ? status(ok_value) : status(r.err());
}

result<std::vector<blocked_term>> select_blocked_terms(pg_connection& db, std::string_view stream_id) {
  auto r = db.query("SELECT " PG_TERM_COLUMNS " FROM blocked_terms WHERE stream_id = $1 ORDER BY seq",
                    pg_params().add(stream_id));
  if (!r) return r.err();
  std::vector<blocked_term> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_term(*r, i));
  return out;
}

result<std::optional<pin_record>> select_pin(pg_connection& db, std::string_view stream_id) {
  auto r = db.query("SELECT stream_id, message_id, pinned_by, pinned_at FROM pins WHERE stream_id = $1",
                    pg_params().add(stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return std::optional<pin_record>();
  row_reader c(*r, 0);
  pin_record p;
  p.stream_id = c.text();
  p.message_id = c.text();
  p.pinned_by = c.text();
  p.pinned_at = c.int64();
  return std::optional(std::move(p));
}

}  // namespace sorak::pg
