#include "store/sqlite_db.hpp"

#include <sqlite3.h>

namespace sorak::sqlite {

namespace {

error error_from(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  // A constraint violation is the caller's mistake (a duplicate id, a taken
  // room), not a broken database: callers turn it into their own 409.
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return error(errc::constraint_failed, std::move(msg));
  return error(errc::internal, std::move(msg));
}

}  // namespace

// ---- statement ------------------------------------------------------------

statement::~statement() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

statement& statement::bind(int index, std::string_view v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

statement& statement::bind(int index, std::nullopt_t) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

result<bool> statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from(db_, rc, "step");
}

status statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.err();
    if (!*r) return ok_value;
  }
}

bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string statement::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> row_reader::optional_text() {
  if (s_.is_null(col_)) {
    ++col_;
    return std::nullopt;
  }
  return text();
}

std::optional<std::int64_t> row_reader::optional_int64() {
  if (s_.is_null(col_)) {
    ++col_;
    return std::nullopt;
  }
  return int64();
}

// ---- sqlite_db ------------------------------------------------------------

result<std::unique_ptr<sqlite_db>> sqlite_db::open(const std::string& path, const options& opts) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!opts.read_only) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite_db> db(new sqlite_db(raw));  // closes `raw` even when open failed
  if (rc != SQLITE_OK) return error_from(raw, rc, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  if (auto s = db->apply_pragmas(opts); !s) return s.err();
  return db;
}

status sqlite_db::apply_pragmas(const options& opts) {
  sqlite3_busy_timeout(db_, opts.busy_timeout_ms);
  // FULL on every connection: whichever connection closes last checkpoints the
  // WAL into the main file, and that must be synced too.
  if (auto s = exec("PRAGMA synchronous=FULL"); !s) return s;
  if (opts.read_only) return exec("PRAGMA query_only=1");
  auto st = prepare("PRAGMA journal_mode=WAL");
  if (!st) return st.err();
  auto row = st->step();
  if (!row) return row.err();
  if (!*row || st->text(0) != "wal")
    return error(errc::internal, "the database cannot use WAL mode (is it on a network or in-memory file system?)");
  return ok_value;
}

sqlite_db::~sqlite_db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

result<statement> sqlite_db::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return statement(it->second, db_);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return error_from(db_, rc, "prepare");
  cache_.emplace(sql, stmt);
  return statement(stmt, db_);
}

status sqlite_db::exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  sqlite3_free(msg);  // sqlite3_errmsg below says the same
  if (rc != SQLITE_OK) return error_from(db_, rc, sql);
  return ok_value;
}

bool sqlite_db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

// ---- read_transaction -----------------------------------------------------

read_transaction::read_transaction(sqlite_db& db) : db_(db), began_(db.exec("BEGIN")) {}

read_transaction::~read_transaction() {
  if (began_) db_.exec("COMMIT");
}

}  // namespace sorak::sqlite
