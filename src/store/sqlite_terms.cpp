// The SQL for blocked terms and the pinned message (declared in sqlite_queries.hpp).
#include "store/sqlite_queries.hpp"
#include "store/sqlite_rows.hpp"

namespace sorak::sqlite {

namespace {

#define SORAK_TERM_COLUMNS "id, stream_id, term, folded, created_by, created_at"

blocked_term read_term(const statement& st) {
  row_reader r(st);
  blocked_term t;
  t.id = r.text();
  t.stream_id = r.text();
  t.term = r.text();
  t.folded = r.text();
  t.created_by = r.text();
  t.created_at = r.int64();
  return t;
}

// The stream's term with this folded form, or with this id (at most one each:
// both id and (stream_id, folded) are unique). Each query one literal:
// sqlite_db caches statements by their text's address.
result<std::optional<blocked_term>> one_term(statement& st) {
  auto row = st.step();
  if (!row) return row.err();
  if (!*row) return std::optional<blocked_term>();
  return std::optional(read_term(st));
}

result<std::optional<blocked_term>> select_term_by_folded(sqlite_db& db, std::string_view stream_id,
                                                          std::string_view folded) {
  auto st = db.prepare("SELECT " SORAK_TERM_COLUMNS " FROM blocked_terms WHERE stream_id = ?1 AND folded = ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, folded);
  return one_term(*st);
}

result<std::optional<blocked_term>> select_term_by_id(sqlite_db& db, std::string_view stream_id,
                                                      std::string_view id) {
  auto st = db.prepare("SELECT " SORAK_TERM_COLUMNS " FROM blocked_terms WHERE stream_id = ?1 AND id = ?2");
  if (!st) return st.err();
  st->bind_all(stream_id, id);
  return one_term(*st);
}

}  // namespace

result<blocked_term> insert_blocked_term(sqlite_db& db, const blocked_term& t) {
  auto same = select_term_by_folded(db, t.stream_id, t.folded);
  if (!same) return same.err();
  if (*same) return error(errc::blocked_term_exists, "\"" + (*same)->term + "\" is blocked here already");
  auto st = db.prepare("INSERT INTO blocked_terms (" SORAK_TERM_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.err();
  st->bind_all(t.id, t.stream_id, t.term, t.folded, t.created_by, t.created_at);
  if (auto s = st->run(); !s) return s.err();
  return t;
}

result<blocked_term> delete_blocked_term(sqlite_db& db, std::string_view stream_id, std::string_view term_id) {
  auto found = select_term_by_id(db, stream_id, term_id);
  if (!found) return found.err();
  if (!*found) return error(errc::blocked_term_not_found, "no such blocked term in this stream");
  auto st = db.prepare("DELETE FROM blocked_terms WHERE id = ?1");
  if (!st) return st.err();
  st->bind(1, term_id);
  if (auto s = st->run(); !s) return s.err();
  return **found;
}

status upsert_pin(sqlite_db& db, const pin_record& p) {
  auto st = db.prepare("INSERT OR REPLACE INTO pins (stream_id, message_id, pinned_by, pinned_at) VALUES (?1, ?2, ?3, ?4)");
  if (!st) return st.err();
  st->bind_all(p.stream_id, p.message_id, p.pinned_by, p.pinned_at);
  return st->run();
}

status delete_pin(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("DELETE FROM pins WHERE stream_id = ?1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  return st->run();
}

result<std::vector<blocked_term>> select_blocked_terms(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT " SORAK_TERM_COLUMNS " FROM blocked_terms WHERE stream_id = ?1 ORDER BY created_at, id");
  if (!st) return st.err();
  st->bind(1, stream_id);
  return read_rows<blocked_term>(*st, read_term);
}

result<std::optional<pin_record>> select_pin(sqlite_db& db, std::string_view stream_id) {
  auto st = db.prepare("SELECT stream_id, message_id, pinned_by, pinned_at FROM pins WHERE stream_id = ?1");
  if (!st) return st.err();
  st->bind(1, stream_id);
  auto row = st->step();
  if (!row) return row.err();
  if (!*row) return std::optional<pin_record>();
  row_reader r(*st);
  pin_record p;
  p.stream_id = r.text();
  p.message_id = r.text();
  p.pinned_by = r.text();
  p.pinned_at = r.int64();
  return std::optional(std::move(p));
}

}  // namespace sorak::sqlite
