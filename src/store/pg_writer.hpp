// pg_writer.hpp: the one thread that writes to PostgreSQL, committing queued
// work in groups.
//
// Internal to src/store/. Like sqlite::group_writer: the writer owns one
// connection, sleeps until work is queued, takes everything queued (at most
// `max_group` ops) into ONE transaction, commits, and only then runs the ops'
// callbacks, in the order the ops were queued. Runs of appends are written
// together (pg_queries.hpp: insert_appends): each stream's head row is locked,
// every message gets the stream's next sequence number, and one statement
// inserts them all. Control-plane writes run between those runs, in order.
// A group of appends only is two round trips (libpq's pipeline mode): BEGIN,
// the heads' lock and the id check; then the insert, the heads' update and
// COMMIT.
//
// Failure: an append refused on its own (a duplicate id) fails alone; any
// other error fails the whole group. A group whose COMMIT went out and got no
// answer (the connection broke, or the deadline passed) is in doubt: the server
// may have committed it. The writer asks on a new connection, for up to
// `in_doubt_window`, whether one of the group's new messages is stored (the
// group is all or nothing): if so the group succeeded and is acked as such, so
// a client is never told to resend a message that is stored (its resend would
// be a second copy); if not, or if the server cannot be asked, it failed.
// A broken connection is dropped and the next group opens a new one (after
// reconnect_gate's pause), so the writer recovers by itself; a connection
// found broken by a group's BEGIN (nothing sent yet) is replaced at once.
// Background ops (remember_user) linger up to `background_linger` for company.
//
// Thread-safety: enqueue(), call() and flush() may be called from any thread;
// call() and flush() block, so callbacks (run on the completions thread,
// completions.hpp, while the writer begins the next group) must not
// call them. The destructor drains the queue and joins the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"
#include "store/completions.hpp"
#include "store/pg_conn.hpp"
#include "store/pg_queries.hpp"

namespace sorak::pg {

using append_done = std::function<void(result<message>)>;

struct write_op {
  // An append when `append` holds the message; then `appended` gets it as
  // stored (seq and final created_at) or the error.
  std::optional<message> append;
  append_done appended;
  // Otherwise a control-plane write: runs inside the group's transaction and
  // must not leave the transaction aborted on an expected failure (check, do
  // not rely on a constraint error). `done` gets its status once committed.
  std::function<status(pg_connection&)> apply;
  std::function<void(const status&)> done;
  bool background = false;
};

struct writer_options {
  std::size_t max_group = 4096;
  std::chrono::milliseconds background_linger{20};
  bool multi_row_insert = true;  // false: one INSERT per message (kept to measure against)
  std::chrono::milliseconds in_doubt_window{5'000};  // asking whether an unanswered COMMIT committed
};

// What one op of a group came to (pg_writer.cpp).
struct op_outcome;

class group_writer {
 public:
  // `known_months`: partitions of `messages` the opener made sure of.
  group_writer(std::string url, conn_options conn, std::unique_ptr<pg_connection> db, writer_options opts,
               std::set<std::int64_t> known_months);
  ~group_writer();
  group_writer(const group_writer&) = delete;
  group_writer& operator=(const group_writer&) = delete;

  // Queues op. Once stop() began, returns false and leaves op untouched.
  bool enqueue(write_op&& op);
  // Queues `f` and waits until its group committed; returns what f returned,
  // or the group's error.
  template <class T>
  result<T> call(std::function<result<T>(pg_connection&)> f);
  // Blocks until every op queued before the call has run its callback.
  void flush();
  // Drains the queue and joins the thread. Idempotent.
  void stop();

  std::uint64_t commit_count() const;
  // The writer's cached heads and their counts; read only after flush().
  const head_cache& cached_heads() const { return heads_; }
  // Forgets that partitions of months before `month` exist (retention dropped
  // them): a later message of such a month makes its partition again.
  void forget_months_before(std::int64_t month);

 private:
  void run();
  std::vector<write_op> take_group();
  // Runs the group in one transaction; what each op's callback is to hear.
  std::vector<op_outcome> commit_group(std::vector<write_op>& group);
  status begin();
  status write_group(std::vector<write_op>& group, std::vector<op_outcome>& out, bool& commit_sent);
  // After a COMMIT without an answer: whether the group is stored, asked on a
  // new connection; an error when that cannot be found out.
  result<bool> committed_after_all(const std::vector<write_op>& group, const std::vector<op_outcome>& out,
                                   int backend_pid);
  status apply_all(std::vector<write_op>& group, std::vector<op_outcome>& out);
  status write_appends(std::vector<write_op>& group, std::vector<op_outcome>& out, bool& commit_sent);
  status flush_appends(std::vector<write_op>& group, std::vector<std::size_t>& pending, std::vector<op_outcome>& out,
                       append_txn txn = {});
  status connected();
  status partitions_ahead();

  const std::string url_;
  const conn_options conn_options_;
  const writer_options opts_;
  reconnect_gate gate_;
  // Used by the writer thread only.
  std::unique_ptr<pg_connection> db_;
  std::set<std::int64_t> known_months_;      // partitions of `messages` known to exist
  std::vector<std::int64_t> months_in_txn_;  // created by the open transaction
  std::int64_t forgotten_before_ = 0;         // applied forget_months_before
  head_cache heads_;                         // what this writer's commits left

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable group_done_;
  std::deque<write_op> queue_;       // GUARDED_BY(mutex_)
  std::uint64_t queued_ = 0;         // GUARDED_BY(mutex_)
  std::uint64_t finished_ = 0;       // GUARDED_BY(mutex_)
  std::uint64_t commits_ = 0;        // GUARDED_BY(mutex_)
  std::size_t urgent_queued_ = 0;    // GUARDED_BY(mutex_)
  std::size_t flushes_waiting_ = 0;  // GUARDED_BY(mutex_)
  bool stopping_ = false;            // GUARDED_BY(mutex_)
  std::int64_t forget_before_ = 0;   // GUARDED_BY(mutex_)
  store_detail::completions completions_;  // runs each committed group's callbacks
  std::thread thread_;               // last: starts once the rest exists
};

template <class T>
result<T> group_writer::call(std::function<result<T>(pg_connection&)> f) {
  // Both live on this stack: the writer runs apply and then done before the
  // future is ready, and always runs an op it accepted.
  std::optional<result<T>> out;
  std::promise<status> committed;
  auto future = committed.get_future();
  write_op op;
  op.apply = [&](pg_connection& db) {
    out.emplace(f(db));
    return *out ? status(ok_value) : status(out->err());
  };
  op.done = [&](const status& s) { committed.set_value(s); };
  if (!enqueue(std::move(op))) return error(errc::shutting_down, "the store is closing");
  status s = future.get();
  if (!s) return s.err();
  return std::move(*out);
}

}  // namespace sorak::pg
