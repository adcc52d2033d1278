// The SQL for polls (declared in pg_queries.hpp). A failed statement would end
// the writer's whole group, so conflicts are answered by ON CONFLICT and the
// rows affected, never by an error.
#include "store/pg_queries.hpp"
#include "store/poll_rows.hpp"

namespace sorak::pg {

namespace {

#define PG_POLL_COLUMNS "id, stream_id, question, options, created_by, created_at, ends_at, closed_at"

error poll_not_found() { return error(errc::poll_not_found, "no such poll in this stream"); }

poll read_poll(const result_set& r, int row) {
  row_reader c(r, row);
  poll p;
  p.id = c.text();
  p.stream_id = c.text();
  p.question = c.text();
  p.options = options_of_column(c.text());
  p.created_by = c.text();
  p.created_at = c.int64();
  p.ends_at = c.int64();
  p.closed_at = c.optional_int64();
  return p;
}

status count_votes(pg_connection& db, poll& p) {
  auto r = db.query("SELECT option, count(*) FROM poll_votes WHERE poll_id = $1 GROUP BY option", pg_params().add(p.id));
  if (!r) return r.err();
  for (int i = 0; i < r->rows(); ++i) {
    const auto option = r->int64(i, 0);
    if (option >= 0 && option < static_cast<std::int64_t>(p.options.size()))
      p.options[static_cast<std::size_t>(option)].votes = r->int64(i, 1);
  }
  return ok_value;
}

// `lock`: FOR SHARE (a vote) or FOR UPDATE (a close), so the two serialize.
result<poll> select_bare_poll(pg_connection& db, std::string_view stream_id, std::string_view poll_id,
                              const char* lock = "") {
  auto r = db.query(std::string("SELECT " PG_POLL_COLUMNS " FROM polls WHERE id = $1 AND stream_id = $2 ") + lock,
                    pg_params().add(poll_id).add(stream_id));
  if (!r) return r.err();
  if (r->rows() == 0) return poll_not_found();
  return read_poll(*r, 0);
}

}  // namespace

result<poll> insert_poll(pg_connection& db, const poll& p) {
  auto expire = db.query("UPDATE polls SET closed_at = ends_at WHERE stream_id = $1 AND closed_at IS NULL AND ends_at <= $2",
                         pg_params().add(p.stream_id).add(p.created_at));
  if (!expire) return expire.err();
  auto r = db.query("INSERT INTO polls (" PG_POLL_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) "
                    "ON CONFLICT (stream_id) WHERE closed_at IS NULL DO NOTHING",
                    pg_params().add(p.id).add(p.stream_id).add(p.question).add(options_column(p.options))
                        .add(p.created_by).add(p.created_at).add(p.ends_at));
  if (!r) return r.err();
  if (r->affected() == 0) return error(errc::poll_open, "this stream has an open poll already");
  poll out = p;
  for (auto& o : out.options) o.votes = 0;
  out.closed_at.reset();
  return out;
}

result<poll> select_poll(pg_connection& db, std::string_view stream_id, std::string_view poll_id) {
  auto p = select_bare_poll(db, stream_id, poll_id);
  if (!p) return p;
  if (auto s = count_votes(db, *p); !s) return s.err();
  return p;
}

result<std::vector<poll>> select_polls(pg_connection& db, std::string_view stream_id, int limit) {
  auto r = db.query("SELECT " PG_POLL_COLUMNS " FROM polls WHERE stream_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                    pg_params().add(stream_id).add(limit));
  if (!r) return r.err();
  std::vector<poll> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_poll(*r, i));
  for (auto& p : out)
    if (auto s = count_votes(db, p); !s) return s.err();
  return out;
}

status insert_vote(pg_connection& db, std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                   int option, millis at) {
  auto p = select_bare_poll(db, stream_id, poll_id, "FOR SHARE");
  if (!p) return p.err();
  if (!p->open_at(at)) return error(errc::poll_closed);
  if (option < 0 || option >= static_cast<int>(p->options.size())) return error(errc::invalid_option);
  auto r = db.query("INSERT INTO poll_votes (poll_id, user_id, option, created_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT (poll_id, user_id) DO NOTHING",
                    pg_params().add(poll_id).add(user_id).add(option).add(at));
  if (!r) return r.err();
  if (r->affected() == 0) return error(errc::already_voted);
  return ok_value;
}

result<poll> mark_poll_closed(pg_connection& db, std::string_view stream_id, std::string_view poll_id, millis at) {
  auto p = select_bare_poll(db, stream_id, poll_id, "FOR UPDATE");
  if (!p) return p;
  if (p->closed_at) return error(errc::poll_closed);
  p->closed_at = std::min(at, p->ends_at);
  auto r = db.query("UPDATE polls SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL",
                    pg_params().add(poll_id).add(*p->closed_at));
  if (!r) return r.err();
  if (r->affected() == 0) return error(errc::poll_closed);
  if (auto s = count_votes(db, *p); !s) return s.err();
  return p;
}

result<std::vector<poll_vote>> select_votes(pg_connection& db, std::string_view stream_id, std::string_view poll_id) {
  auto r = db.query("SELECT v.user_id, v.option, v.created_at FROM poll_votes v JOIN polls p ON p.id = v.poll_id "
                    "WHERE v.poll_id = $1 AND p.stream_id = $2 ORDER BY v.created_at, v.user_id COLLATE \"C\"",
                    pg_params().add(poll_id).add(stream_id));
  if (!r) return r.err();
  std::vector<poll_vote> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->text(i, 0), static_cast<int>(r->int64(i, 1)), r->int64(i, 2)});
  return out;
}

status insert_poll_as_is(pg_connection& db, const poll& p, const std::vector<poll_vote>& votes) {
  auto r = db.query("INSERT INTO polls (" PG_POLL_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    pg_params().add(p.id).add(p.stream_id).add(p.question).add(options_column(p.options))
                        .add(p.created_by).add(p.created_at).add(p.ends_at).add(p.closed_at));
  if (!r) return r.err();
  if (r->affected() == 0) return error(errc::poll_open, "poll " + p.id + " is stored already, or open beside another");
  for (const auto& v : votes) {
    auto vr = db.query("INSERT INTO poll_votes (poll_id, user_id, option, created_at) VALUES ($1, $2, $3, $4) "
                       "ON CONFLICT DO NOTHING",
                       pg_params().add(p.id).add(v.user_id).add(v.option).add(v.at));
    if (!vr) return vr.err();
  }
  return ok_value;
}

}  // namespace sorak::pg
