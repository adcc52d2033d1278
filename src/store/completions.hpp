// completions.hpp: the thread that tells callers their writes committed.
//
// Internal to src/store/. A group writer hands each committed group's
// callbacks here and starts its next transaction at once: telling a few
// thousand senders (encoding each message, publishing it, acking it) then
// overlaps the next group's inserts and fsync instead of delaying them
// (measured: a quarter of the SQLite writer's time went to callbacks). Jobs run
// one at a time in the order posted, so callbacks keep the append order across
// groups. At most `max_pending` jobs wait: past that, post() blocks the writer,
// so a slow consumer of callbacks slows commits instead of growing memory.
//
// Thread-safety: post() and drain() may be called from any thread except this
// one's own jobs. The destructor drains what was posted and joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sorak::store_detail {

class completions {
 public:
  explicit completions(std::size_t max_pending = 2);
  ~completions();
  completions(const completions&) = delete;
  completions& operator=(const completions&) = delete;

  // Queues `job` after every job posted before it.
  void post(std::function<void()> job);
  // Blocks until every job posted before the call has run.
  void drain();

 private:
  void run();

  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable changed_;          // a job was queued or finished, or stopping_
  std::deque<std::function<void()>> jobs_;   // GUARDED_BY(mutex_)
  std::size_t running_ = 0;                  // GUARDED_BY(mutex_): 1 while a job runs
  bool stopping_ = false;                    // GUARDED_BY(mutex_)
  std::thread thread_;                       // last: starts once the rest exists
};

}  // namespace sorak::store_detail
