// sqlite_db.hpp: one SQLite connection with its cache of prepared statements.
//
// Internal to src/store/. A `sqlite_db` is used by one thread at a time (the
// writer, or whichever reader has leased it from the pool); it is opened with
// SQLITE_OPEN_NOMUTEX, so sharing one between threads at once is a bug.
// `statement` is a cached prepared statement in use: it binds, steps and reads
// columns, and resets itself when it goes out of scope, so no statement keeps
// a read snapshot (or the write lock) open after its caller is done with it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sorak/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sorak::sqlite {

class statement {
 public:
  statement(sqlite3_stmt* s, sqlite3* db) : stmt_(s), db_(db) {}
  ~statement();
  statement(statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;

  statement& bind(int index, std::string_view v);
  statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  statement& bind(int index, std::int64_t v);
  statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  statement& bind(int index, bool v) { return bind(index, static_cast<std::int64_t>(v ? 1 : 0)); }
  statement& bind(int index, std::nullopt_t);
  template <class T>
  statement& bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind(index, std::nullopt);
  }
  // Binds args to parameters 1, 2, 3, … in order.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Steps once: true when a row is ready, false when the statement is done.
  result<bool> step();
  // Steps to the end, for a statement that returns no rows.
  status run();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  std::string text(int col) const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// Reads the columns of the current row left to right, so the order of the
// reads matches the SELECT list without counting indexes by hand.
class row_reader {
 public:
  explicit row_reader(const statement& s) : s_(s) {}
  std::string text() { return s_.text(col_++); }
  std::int64_t int64() { return s_.int64(col_++); }
  bool boolean() { return s_.int64(col_++) != 0; }
  std::optional<std::string> optional_text();
  std::optional<std::int64_t> optional_int64();

 private:
  const statement& s_;
  int col_ = 0;
};

class sqlite_db {
 public:
  struct options {
    bool read_only = false;  // a reader: PRAGMA query_only
    int busy_timeout_ms = 5000;
  };
  // Opens (creating if needed) the database file and applies the per-connection
  // pragmas. A writer also switches the file to WAL with synchronous=FULL.
  static result<std::unique_ptr<sqlite_db>> open(const std::string& path, const options& opts);
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  // REQUIRES: `sql` is a string literal (or otherwise outlives the
  // connection): the cache keeps a view of it as the key.
  result<statement> prepare(std::string_view sql);
  // Runs one or more statements that return no rows (schema, BEGIN, COMMIT).
  status exec(const char* sql);
  // False once the connection is in autocommit mode, e.g. after SQLite rolled a
  // transaction back on its own (disk full, I/O error).
  bool in_transaction() const;

 private:
  explicit sqlite_db(sqlite3* db) : db_(db) {}
  status apply_pragmas(const options& opts);

  sqlite3* db_;
  std::unordered_map<std::string_view, sqlite3_stmt*> cache_;
};

// A read transaction: `BEGIN` on construction, ended on destruction, so a read
// that takes several statements sees one snapshot of the database.
class read_transaction {
 public:
  explicit read_transaction(sqlite_db& db);
  ~read_transaction();
  read_transaction(const read_transaction&) = delete;
  read_transaction& operator=(const read_transaction&) = delete;
  const status& began() const { return began_; }

 private:
  sqlite_db& db_;
  status began_;
};

}  // namespace sorak::sqlite
