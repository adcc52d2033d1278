// sqlite_writer.hpp: the one thread that writes, committing queued work in groups.
//
// Internal to src/store/. The writer owns the only write connection. It sleeps
// until work is queued, then takes everything queued (at most `max_group` ops)
// into ONE transaction, commits it, and only then runs the ops' `done`
// callbacks, in the order the ops were queued (on a thread of their own,
// completions.hpp, while the writer begins the next group). Under load many messages share
// one commit, and so one fsync. If the transaction fails, every op in the group
// is told so and the writer goes on with the next group.
// A background op (nobody waits for it: a viewer's profile) does not start a
// commit by itself: while only background ops are queued the writer lingers
// up to `background_linger` for more, so a connect storm of new viewers costs
// a few fsyncs, not one per viewer. Any other op, flush() and stop() end the
// linger at once and share the commit; the order of ops is kept throughout.
//
// Thread-safety: enqueue(), call() and flush() may be called from any thread;
// call() and flush() block, so `done` callbacks (which run on the writer
// thread) must not call them. The destructor drains the queue, joins the
// thread and closes the connection.
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
#include <thread>
#include <vector>

#include "sorak/result.hpp"
#include "store/completions.hpp"
#include "store/sqlite_db.hpp"

namespace sorak::sqlite {

struct write_op {
  // Runs inside the group's transaction; its status is what `done` gets if the
  // group commits. It must leave no partial change behind when it fails.
  std::function<status(sqlite_db&)> apply;
  std::function<void(const status&)> done;
  bool background = false;  // see above: may wait up to background_linger for company
};

class group_writer {
 public:
  static constexpr std::chrono::milliseconds default_background_linger{20};
  group_writer(std::unique_ptr<sqlite_db> db, std::size_t max_group,
               std::chrono::milliseconds background_linger = default_background_linger);
  ~group_writer();
  group_writer(const group_writer&) = delete;
  group_writer& operator=(const group_writer&) = delete;

  // Queues op. Once stop() began, returns false and leaves op untouched, so
  // the caller can still tell its `done` that the store is closing.
  bool enqueue(write_op&& op);
  // Queues `f` and waits until its group committed; returns what f returned, or
  // the commit's error.
  template <class T>
  result<T> call(std::function<result<T>(sqlite_db&)> f);
  // Blocks until every op queued before the call has run its `done`.
  void flush();
  // Drains the queue and joins the thread; the connection stays open until the
  // destructor. Idempotent.
  void stop();

  std::uint64_t commit_count() const;

 private:
  void run();
  std::vector<write_op> take_group();  // blocks; empty once stopped and drained
  // Runs the group in one transaction; what each op's `done` is to hear.
  std::vector<status> commit_group(std::vector<write_op>& group);
  void apply_each(std::vector<write_op>& group, std::vector<status>& results);
  status commit();  // COMMIT, or ROLLBACK when that fails

  const std::unique_ptr<sqlite_db> db_;  // used by the writer thread only
  const std::size_t max_group_;
  const std::chrono::milliseconds background_linger_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;   // queue_ gained an op, or stopping_
  std::condition_variable group_done_;   // finished_ advanced
  std::deque<write_op> queue_;           // GUARDED_BY(mutex_)
  std::uint64_t queued_ = 0;             // GUARDED_BY(mutex_): ops ever queued
  std::uint64_t finished_ = 0;           // GUARDED_BY(mutex_): ops whose done ran
  std::uint64_t commits_ = 0;            // GUARDED_BY(mutex_)
  std::size_t urgent_queued_ = 0;        // GUARDED_BY(mutex_): ops in queue_ that are not background
  std::size_t flushes_waiting_ = 0;      // GUARDED_BY(mutex_): flush() calls waiting
  bool stopping_ = false;                // GUARDED_BY(mutex_)
  store_detail::completions completions_;  // runs each committed group's callbacks
  std::thread thread_;                   // last: starts once the rest exists
};

template <class T>
result<T> group_writer::call(std::function<result<T>(sqlite_db&)> f) {
  // Both live on this stack: the writer runs apply and then done before the
  // future is ready, and always runs an op it accepted.
  std::optional<result<T>> out;
  std::promise<status> committed;
  auto future = committed.get_future();
  write_op op{[&](sqlite_db& db) {
                out.emplace(f(db));
                return *out ? status(ok_value) : status(out->err());
              },
              [&](const status& s) { committed.set_value(s); }};
  if (!enqueue(std::move(op))) return error(errc::shutting_down, "the store is closing");
  status s = future.get();
  if (!s) return s.err();
  return std::move(*out);
}

}  // namespace sorak::sqlite
