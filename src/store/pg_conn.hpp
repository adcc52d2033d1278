// pg_conn.hpp: one PostgreSQL connection (libpq), its results and parameters.
//
// Internal to src/store/. A `pg_conn` is used by one thread at a time (the
// writer, or whichever reader leased it from the pool). Every statement is
// parameterised (`pg_params`, text format) and runs with a deadline: libpq's
// own calls can wait forever on a server that stopped answering, so queries
// are sent asynchronously and the socket is polled; past the deadline the
// connection is closed and the call fails with 503 `store_unavailable`, as
// does any call on a connection that broke. A broken connection stays broken:
// the owner drops it and opens a new one (see pg_reconnect_gate).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sorak/result.hpp"

struct pg_conn;
struct pg_result;

namespace sorak::pg {

// What one statement returns: rows of text cells. Owns the PGresult.
class result_set {
 public:
  explicit result_set(::pg_result* r) : r_(r) {}
  ~result_set();
  result_set(result_set&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  result_set(const result_set&) = delete;
  result_set& operator=(const result_set&) = delete;
  result_set& operator=(result_set&&) = delete;

  int rows() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const;  // PostgreSQL's text form: "t" / "f"
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;
  std::string command_tag() const;  // "COMMIT", "ROLLBACK", "INSERT 0 3", …

 private:
  ::pg_result* r_;
};

// Reads the cells of one row left to right, so the order of the reads matches
// the SELECT list without counting indexes by hand.
class row_reader {
 public:
  row_reader(const result_set& r, int row) : r_(r), row_(row) {}
  std::string text() { return r_.text(row_, col_++); }
  std::int64_t int64() { return r_.int64(row_, col_++); }
  bool boolean() { return r_.boolean(row_, col_++); }
  std::optional<std::string> optional_text();
  std::optional<std::int64_t> optional_int64();

 private:
  const result_set& r_;
  int row_;
  int col_ = 0;
};

// `v` without its NUL bytes: PostgreSQL text cannot hold U+0000, and a
// parameter or array element would silently end at the first one. (Message
// content never has one; a token's claims may, through a JSON "\u0000".)
std::string storable_text(std::string_view v);

// Parameters $1, $2, … in the order they are added, as text (NULL when empty).
class pg_params {
 public:
  pg_params& add(std::string_view v) {
    values_.emplace_back(storable_text(v));
    return *this;
  }
  pg_params& add(const char* v) { return add(std::string_view(v)); }
  pg_params& add(const std::string& v) { return add(std::string_view(v)); }
  pg_params& add(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  pg_params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  pg_params& add(bool v) {
    values_.emplace_back(v ? "t" : "f");
    return *this;
  }
  pg_params& add(std::nullopt_t) {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <class T>
  pg_params& add(const std::optional<T>& v) {
    return v ? add(*v) : add(std::nullopt);
  }
  template <class... Args>
  pg_params& add_all(const Args&... args) {
    (add(args), ...);
    return *this;
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers for PQsendQueryParams; valid until the next add().
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

struct conn_options {
  std::chrono::milliseconds query_timeout{10'000};  // one statement, sent to answered
  int connect_timeout_seconds = 5;
};

// Spaces out attempts to reach a server that was not there: after a failed
// connect the next one waits until `pause` has passed, so a store whose server
// is down answers 503 at once instead of spinning on connect(). Thread-safe.
class reconnect_gate {
 public:
  explicit reconnect_gate(std::chrono::milliseconds pause = std::chrono::milliseconds(250)) : pause_(pause) {}
  // How long until the next attempt may start (zero: now).
  std::chrono::milliseconds wait_left() const;
  void failed();
  void succeeded();

 private:
  const std::chrono::milliseconds pause_;
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point next_try_{};  // GUARDED_BY(mutex_)
};

class pg_connection {
 public:
  // Connects to `url` (postgres://… or postgresql://…, or a libpq key=value
  // string). Settings in the URL win over our defaults (connect_timeout,
  // TCP keepalives). 503 `store_unavailable` when the server cannot be reached.
  static result<std::unique_ptr<pg_connection>> open(const std::string& url, const conn_options& opts = {});
  ~pg_connection();
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  // One statement with parameters. 503 when the connection broke or the
  // answer took longer than query_timeout; 409 `constraint_failed` on a
  // unique violation; otherwise 500 with the server's message.
  result<result_set> query(std::string_view sql, const pg_params& params = {});
  // The same through a named prepared statement: parsed and planned once per
  // connection (with its generic plan), so a statement the writer runs for
  // every group costs no planning. The planner never sees the values: a
  // query whose plan must depend on them belongs in query().
  result<result_set> query_prepared(const std::string& name, std::string_view sql, const pg_params& params);
  // One statement of a pipeline: a prepared statement (`name`, prepared on
  // first use like query_prepared's) or, with no name, SQL run as it is.
  struct step {
    std::string_view name;
    std::string_view sql;
    const pg_params* params = nullptr;
  };
  // Sends the statements at once and reads their answers: one round trip
  // instead of one each (libpq's pipeline mode). The server runs them in
  // order and skips those after one that failed; the answers in order, or
  // the first error.
  result<std::vector<result_set>> pipeline(std::span<const step> steps);
  // Statements without parameters or rows (BEGIN, COMMIT, a schema script).
  status exec(std::string_view sql);
  // COMMIT, failing when the server answered ROLLBACK (an aborted transaction).
  status commit();

  // The server process serving this connection (kept after it broke).
  int backend_pid() const { return backend_pid_; }
  // True once the connection cannot be used again.
  bool broken() const;
  // True when it broke by itself (closed, reset) rather than by a deadline:
  // such a connection was dead before the statement, which a caller that
  // changed nothing yet may retry on a new one. A server that did not answer
  // in time is not asked twice.
  bool found_dead() const { return broken() && !timed_out_; }
  // True inside a transaction block (also one a failed statement aborted).
  bool in_transaction() const;
  // True inside a transaction a failed statement aborted: only ROLLBACK helps.
  bool aborted() const;

 private:
  explicit pg_connection(::pg_conn* c, const conn_options& opts) : conn_(c), opts_(opts) {}
  result<result_set> run(std::string_view sql, const pg_params* params);
  result<result_set> run_prepared(const std::string& name, const pg_params& params);
  result<result_set> collect();  // the answer to what was sent
  status prepare(const std::string& name, std::string_view sql, int params);
  result<std::vector<result_set>> collect_pipeline(std::size_t statements);
  status wait_for_answer();
  error fail(std::string_view what);  // closes the connection

  ::pg_conn* conn_;
  conn_options opts_;
  bool broken_ = false;
  bool timed_out_ = false;
  int backend_pid_ = 0;
  std::unordered_set<std::string> prepared_;  // statement names prepared on this connection
};

// Text-format arrays for `unnest($1::text[])`: one statement carries a whole
// group of rows. Elements are quoted and escaped; nullopt is NULL.
std::string text_array(const std::vector<std::optional<std::string>>& items);
std::string int_array(const std::vector<std::optional<std::int64_t>>& items);
std::string bool_array(const std::vector<bool>& items);

}  // namespace sorak::pg
