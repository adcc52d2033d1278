// The SQL for polls (declared in sqlite_queries.hpp).
#include "store/poll_rows.hpp"
#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {

#define SORAK_POLL_COLUMNS "id, stream_id, question, options, created_by, created_at, ends_at, closed_at"

error poll_not_found() { return error(errc::poll_not_found, "no such poll in this stream"); }

poll read_poll(const statement& st) {
  row_reader r(st);
  poll p;
  p.id = r.text();
  p.stream_id = r.text();
  p.question = r.text();
  p.options = options_of_column(r.text());
  p.created_by = r.text();
  p.created_at = r.int64();
  p.ends_at = r.int64();
  p.closed_at = r.optional_int64();
  return p;
}

status count_votes(sqlite_db& db, poll& p) {
  auto st = db.prepare("SELECT option, count(*) FROM poll_votes WHERE poll_id = ?1 GROUP BY option");
  if (!st) return st.err();
  st->bind(1, p.id);
  for (;;) {
    auto row = st->step();
    if (!row) return row.err();
    if (!*row) return ok_value;
    const auto option = st->int64(0);
    if (option >= 0 && option < static_cast<std::int64_t>(p.options.size()))
      p.options[static_cast<std::size_t>(option)].votes = st->int64(1);
  }
}

// The poll without its counts.
result<poll> select_bare_poll(sqlite_db& db, std::string_view stream_id, std::string_view poll_id) {
  auto st = db.prepare("SELECT " SORAK_POLL_COLUMNS " FROM polls WHERE id = ?1 AND stream_id = ?2");
  if (!st) return st.err();
  st->bind_all(poll_id, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return poll_not_found();
  return read_poll(*st);
}

}  // namespace

result<poll> insert_poll(sqlite_db& db, const poll& p) {
  auto expire = db.prepare("UPDATE polls SET closed_at = ends_at WHERE stream_id = ?1 AND closed_at IS NULL AND ends_at <= ?2");
  if (!expire) return expire.err();
  expire->bind_all(p.stream_id, p.created_at);
  if (auto s = expire->run(); !s) return s.err();
  auto st = db.prepare("INSERT INTO polls (" SORAK_POLL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)");
  if (!st) return st.err();
  st->bind_all(p.id, p.stream_id, p.question, options_column(p.options), p.created_by, p.created_at, p.ends_at);
  if (auto s = st->run(); !s) {
    if (s.err().is(errc::constraint_failed)) return error(errc::poll_open, "this stream has an open poll already");
    return s.err();
  }
  poll out = p;
  for (auto& o : out.options) o.votes = 0;
  out.closed_at.reset();
  return out;
}

result<poll> select_poll(sqlite_db& db, std::string_view stream_id, std::string_view poll_id) {
  auto p = select_bare_poll(db, stream_id, poll_id);
  if (!p) return p;
  if (auto s = count_votes(db, *p); !s) return s.err();
  return p;
}

result<std::vector<poll>> select_polls(sqlite_db& db, std::string_view stream_id, int limit) {
  auto st = db.prepare("SELECT " SORAK_POLL_COLUMNS " FROM polls WHERE stream_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, static_cast<std::int64_t>(limit));
  auto out = read_rows<poll>(*st, read_poll);
  if (!out) return out.err();
  for (auto& p : *out)
    if (auto s = count_votes(db, p); !s) return s.err();
  return out;
}

status insert_vote(sqlite_db& db, std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                   int option, millis at) {
  auto p = select_bare_poll(db, stream_id, poll_id);
  if (!p) return p.err();
  if (!p->open_at(at)) return error(errc::poll_closed);
  if (option < 0 || option >= static_cast<int>(p->options.size())) return error(errc::invalid_option);
  auto st = db.prepare("INSERT OR IGNORE INTO poll_votes (poll_id, user_id, option, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!st) return st.err();
  st->bind_all(poll_id, user_id, static_cast<std::int64_t>(option), at);
  if (auto s = st->run(); !s) return s;
  auto n = db.prepare("SELECT changes()");
  if (!n) return n.err();
  auto row = n->step();
  if (!row) return row.err();
  if (*row && n->int64(0) == 0) return error(errc::already_voted);
  return ok_value;
}

result<poll> mark_poll_closed(sqlite_db& db, std::string_view stream_id, std::string_view poll_id, millis at) {
  auto p = select_bare_poll(db, stream_id, poll_id);
  if (!p) return p;
  if (p->closed_at) return error(errc::poll_closed);
  p->closed_at = std::min(at, p->ends_at);
  auto st = db.prepare("UPDATE polls SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL");
  if (!st) return st.err();
  st->bind_all(poll_id, *p->closed_at);
  if (auto s = st->run(); !s) return s.err();
  if (auto s = count_votes(db, *p); !s) return s.err();
  return p;
}

result<std::vector<poll_vote>> select_votes(sqlite_db& db, std::string_view stream_id, std::string_view poll_id) {
  auto p = select_bare_poll(db, stream_id, poll_id);
  if (!p) return std::vector<poll_vote>{};
  auto st = db.prepare("SELECT user_id, option, created_at FROM poll_votes WHERE poll_id = ?1 ORDER BY created_at, user_id");
  if (!st) return st.err();
  st->bind(1, poll_id);
  return read_rows<poll_vote>(*st, [](const statement& s) {
    return poll_vote{s.text(0), static_cast<int>(s.int64(1)), s.int64(2)};
  });
}

status insert_poll_as_is(sqlite_db& db, const poll& p, const std::vector<poll_vote>& votes) {
  auto st = db.prepare("INSERT INTO polls (" SORAK_POLL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.err();
  st->bind_all(p.id, p.stream_id, p.question, options_column(p.options), p.created_by, p.created_at, p.ends_at, p.closed_at);
  if (auto s = st->run(); !s) {
    if (s.err().is(errc::constraint_failed)) return error(errc::poll_open, "poll " + p.id + " is open and so is another");
    return s;
  }
  for (const auto& v : votes) {
    auto vs = db.prepare("INSERT OR IGNORE INTO poll_votes (poll_id, user_id, option, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!vs) return vs.err();
    vs->bind_all(p.id, v.user_id, static_cast<std::int64_t>(v.option), v.at);
    if (auto s = vs->run(); !s) return s;
  }
  return ok_value;
}

}  // namespace sorak::sqlite
