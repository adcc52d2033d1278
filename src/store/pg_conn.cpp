#include "store/pg_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sorak::pg {

namespace {

// SQLSTATE classes that mean "the server is not there", not "the statement is
// wrong": 08 connection exception, 57P01..57P03 shutdown and start-up.
bool unavailable_state(const char* state) {
  if (!state) return false;
  return std::strncmp(state, "08", 2) == 0 || std::strncmp(state, "57P0", 4) == 0;
}

std::string server_message(::pg_conn* c) {
  std::string m = c ? PQerrorMessage(c) : "no connection";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// A failed statement as our error: a unique violation is the caller's
// conflict (409), a lost server is 503, anything else 500. The primary message
// only: DETAIL lines quote row values.
error error_of(::pg_result* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = "postgres: " + std::string(primary ? primary : "the statement failed");
  if (unavailable_state(state)) return error(errc::store_unavailable, std::move(msg));
  if (state && std::strcmp(state, "23505") == 0) return error(errc::constraint_failed, std::move(msg));
  return error(errc::internal, std::move(msg));
}

void append_quoted(std::string& out, const std::string& s) {
  out.push_back('"');
  for (char ch : s) {
    if (ch == '\0') continue;  // see storable_text
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}

}  // namespace

// ---- result_set ---------------------------------------------------------------

result_set::~result_set() {
  if (r_) PQclear(r_);
}

int result_set::rows() const { return PQntuples(r_); }
bool result_set::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::string result_set::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}
std::int64_t result_set::int64(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
bool result_set::boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
std::int64_t result_set::affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }
std::string result_set::command_tag() const { return PQcmdStatus(r_); }

std::optional<std::string> row_reader::optional_text() {
  int c = col_++;
  if (r_.is_null(row_, c)) return std::nullopt;
  return r_.text(row_, c);
}

std::optional<std::int64_t> row_reader::optional_int64() {
  int c = col_++;
  if (r_.is_null(row_, c)) return std::nullopt;
  return r_.int64(row_, c);
}

std::string storable_text(std::string_view v) {
  std::string out(v);
  std::erase(out, '\0');
  return out;
}

std::vector<const char*> pg_params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// ---- arrays -----------------------------------------------------------------------

std::string text_array(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    if (items[i])
      append_quoted(out, *items[i]);
    else
      out += "NULL";
  }
  out.push_back('}');
  return out;
}

std::string int_array(const std::vector<std::optional<std::int64_t>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out += items[i] ? std::to_string(*items[i]) : "NULL";
  }
  out.push_back('}');
  return out;
}

std::string bool_array(const std::vector<bool>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back(items[i] ? 't' : 'f');
  }
  out.push_back('}');
  return out;
}

// ---- the connection -------------------------------------------------------------------

result<std::unique_ptr<pg_connection>> pg_connection::open(const std::string& url, const conn_options& opts) {
  // Ours first: libpq lets later keywords win, and `dbname` expands the URL in
  // place, so whatever the URL says overrides these defaults. The keepalives
  // notice a peer that vanished without closing; a stalled server is caught by
  // the query deadline.
  const std::string timeout = std::to_string(opts.connect_timeout_seconds);
  const char* keys[] = {"connect_timeout",  "keepalives",
                        "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout",
                        "application_name", "client_encoding",
                        "dbname",           nullptr};
  const char* values[] = {timeout.c_str(), "1", "5", "2", "3", "10000", "sorakd", "UTF8", url.c_str(), nullptr};
  ::pg_conn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!c) return error(errc::store_unavailable, "postgres: out of memory while connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    // The detail names hosts and ports: logged here, not sent to clients.
    spdlog::warn("store: postgres: cannot connect: {}", server_message(c));
    error e(errc::store_unavailable, "postgres: cannot connect to the database server");
    PQfinish(c);
    return e;
  }
  // Notices ("relation … already exists, skipping") are expected answers to
  // our IF NOT EXISTS; libpq would print each on stderr.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(c, 1) != 0) {
    PQfinish(c);
    return error(errc::store_unavailable, "postgres: cannot make the connection non-blocking");
  }
  std::unique_ptr<pg_connection> out(new pg_connection(c, opts));
  out->backend_pid_ = PQbackendPID(c);
  // A prepared statement is planned once for any values (open() runs outside
  // a transaction, so no rollback undoes this): without it the planner would
  // make a custom plan per call for the first calls, reading every element of
  // a group's arrays. Unnamed statements (query()) are planned per call anyway.
  if (auto s = out->exec("SET plan_cache_mode = force_generic_plan"); !s) return s.err();
  return out;
}

pg_connection::~pg_connection() {
  if (conn_) PQfinish(conn_);
}

bool pg_connection::broken() const { return broken_ || !conn_ || PQstatus(conn_) != CONNECTION_OK; }

bool pg_connection::in_transaction() const {
  if (broken()) return false;
  auto t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

bool pg_connection::aborted() const { return !broken() && PQtransactionStatus(conn_) == PQTRANS_INERROR; }

error pg_connection::fail(std::string_view what) {
  const std::string detail = server_message(conn_);
  spdlog::warn("store: postgres: {}{}{}", what, detail.empty() ? "" : ": ", detail);
  error e(errc::store_unavailable, "postgres: " + std::string(what));
  broken_ = true;
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  return e;
}

// Sends what is queued and reads until a whole answer arrived, or the
// deadline passed. Input is read even while output is pending, so neither
// side can block the other on a full socket buffer.
status pg_connection::wait_for_answer() {
  const auto deadline = std::chrono::steady_clock::now() + opts_.query_timeout;
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) return fail("the connection broke while sending");
    if (!PQconsumeInput(conn_)) return fail("the connection broke while reading");
    if (flushed == 0 && !PQisBusy(conn_)) return ok_value;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return fail("no answer within " + std::to_string(opts_.query_timeout.count()) + " ms");
    }
    pollfd p{PQsocket(conn_), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return fail("the connection broke (poll)");
  }
}

result<result_set> pg_connection::run(std::string_view sql, const pg_params* params) {
  if (broken()) return error(errc::store_unavailable, "postgres: the connection is closed");
  std::string text(sql);
  int sent = 0;
  if (params) {
    auto values = params->pointers();
    sent = PQsendQueryParams(conn_, text.c_str(), params->size(), nullptr, values.data(), nullptr, nullptr, 0);
  } else {
    sent = PQsendQuery(conn_, text.c_str());
  }
  if (!sent) return fail("the connection broke while sending");
  return collect();
}

result<result_set> pg_connection::run_prepared(const std::string& name, const pg_params& params) {
  if (broken()) return error(errc::store_unavailable, "postgres: the connection is closed");
  auto values = params.pointers();
  if (!PQsendQueryPrepared(conn_, name.c_str(), params.size(), values.data(), nullptr, nullptr, 0))
    return fail("the connection broke while sending");
  return collect();
}

result<result_set> pg_connection::collect() {
  if (auto s = wait_for_answer(); !s) return s.err();
  // Keep the last result (a script answers once per statement) and the first error.
  ::pg_result* last = nullptr;
  std::optional<error> first_error;
  while (::pg_result* r = PQgetResult(conn_)) {
    auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !first_error) first_error = error_of(r);
    if (last) PQclear(last);
    last = r;
    if (PQisBusy(conn_)) {
      if (auto s = wait_for_answer(); !s) {
        if (last) PQclear(last);
        return s.err();
      }
    }
  }
  result_set out(last);
  if (broken()) return fail("the connection broke");
  if (first_error) return *first_error;
  if (!last) return error(errc::internal, "postgres: no answer");
  return out;
}

status pg_connection::prepare(const std::string& name, std::string_view sql, int params) {
  if (prepared_.count(name)) return ok_value;
  if (broken()) return error(errc::store_unavailable, "postgres: the connection is closed");
  const std::string text(sql);
  if (!PQsendPrepare(conn_, name.c_str(), text.c_str(), params, nullptr))
    return fail("the connection broke while sending");
  if (auto r = collect(); !r) return r.err();
  prepared_.insert(name);
  return ok_value;
}

result<result_set> pg_connection::query_prepared(const std::string& name, std::string_view sql,
                                                 const pg_params& params) {
  if (auto s = prepare(name, sql, params.size()); !s) return s.err();
  return run_prepared(name, params);
}

result<std::vector<result_set>> pg_connection::pipeline(std::span<const step> steps) {
  static const pg_params no_params;
  for (const step& st : steps)
    if (!st.name.empty())
      if (auto s = prepare(std::string(st.name), st.sql, st.params ? st.params->size() : 0); !s) return s.err();
  if (broken()) return error(errc::store_unavailable, "postgres: the connection is closed");
  if (!PQenterPipelineMode(conn_)) return error(errc::internal, "postgres: the connection is busy");
  for (const step& st : steps) {
    const pg_params& p = st.params ? *st.params : no_params;
    const auto values = p.pointers();
    const int sent =
        st.name.empty()
            ? PQsendQueryParams(conn_, std::string(st.sql).c_str(), p.size(), nullptr, values.data(), nullptr,
                                nullptr, 0)
            : PQsendQueryPrepared(conn_, std::string(st.name).c_str(), p.size(), values.data(), nullptr, nullptr, 0);
    if (!sent) return fail("the connection broke while sending");
  }
  if (!PQpipelineSync(conn_)) return fail("the connection broke while sending");
  auto out = collect_pipeline(steps.size());
  if (broken()) return out;
  if (!PQexitPipelineMode(conn_)) return fail("the pipeline did not end");
  return out;
}

// The answers to `statements` pipelined statements and then to the sync that
// ended them: each statement's results end with a null one; a statement after
// a failed one answers PGRES_PIPELINE_ABORTED.
result<std::vector<result_set>> pg_connection::collect_pipeline(std::size_t statements) {
  std::vector<result_set> out;
  out.reserve(statements);
  std::optional<error> first_error;
  const auto next = [&]() -> result<::pg_result*> {
    if (PQisBusy(conn_))
      if (auto s = wait_for_answer(); !s) return s.err();
    return PQgetResult(conn_);
  };
  for (std::size_t i = 0; i < statements; ++i) {
    ::pg_result* last = nullptr;
    for (;;) {
      auto r = next();
      if (!r) {
        PQclear(last);
        return r.err();
      }
      if (!*r) break;
      const auto st = PQresultStatus(*r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED && !first_error)
        first_error = error_of(*r);
      PQclear(last);
      last = *r;
    }
    out.emplace_back(last);
  }
  auto sync = next();
  if (!sync) return sync.err();
  const bool synced = *sync && PQresultStatus(*sync) == PGRES_PIPELINE_SYNC;
  if (*sync) PQclear(*sync);
  if (!synced) return fail("the pipeline's answers did not end where they should");
  if (first_error) return *first_error;
  return out;
}

result<result_set> pg_connection::query(std::string_view sql, const pg_params& params) { return run(sql, &params); }

status pg_connection::exec(std::string_view sql) {
  auto r = run(sql, nullptr);
  if (!r) return r.err();
  return ok_value;
}

status pg_connection::commit() {
  auto r = run("COMMIT", nullptr);
  if (!r) return r.err();
  // An aborted transaction "commits" as ROLLBACK, with a success status.
  if (r->command_tag() != "COMMIT") return error(errc::internal, "postgres: the transaction was rolled back");
  return ok_value;
}

// ---- reconnect_gate ---------------------------------------------------------------

std::chrono::milliseconds reconnect_gate::wait_left() const {
  std::lock_guard lock(mutex_);
  auto left = next_try_ - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

void reconnect_gate::failed() {
  std::lock_guard lock(mutex_);
  next_try_ = std::chrono::steady_clock::now() + pause_;
}

void reconnect_gate::succeeded() {
  std::lock_guard lock(mutex_);
  next_try_ = {};
}

}  // namespace sorak::pg
