// retention_pruner.hpp: the background thread behind --retention-days (CONTRACT §12).
//
// One pass when started, then one every `interval`: messages older than
// `days` days go (store.hpp: prune_messages), their statistics folded into
// each stream's baseline first (core/stream_stats.hpp: fold_stats_baseline),
// so a stream's figures stay whole. The store prunes in short batches, so the
// message writer is never held up for long; the pass runs on this thread of
// its own, never on an event loop. Each pass logs one line and adds its count
// to sorak_retention_pruned_messages_total.
//
// Rooms already open keep their in-memory figures (they counted the pruned
// messages when they were sent); their ring of recent messages may still show
// pruned ones until the room closes. Everything read from the store (history,
// replay, the Showroom feed, a room opened later) no longer has them.
//
// Thread-safety: start() and stop() from one thread (the composition root).
// stop() cuts a pass short at its next batch (that batch is rolled back, not
// half done) and joins the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "sorak/store.hpp"

namespace sorak {

class retention_pruner {
 public:
  retention_pruner(store& st, std::int64_t days, std::chrono::seconds interval);
  ~retention_pruner();
  retention_pruner(const retention_pruner&) = delete;
  retention_pruner& operator=(const retention_pruner&) = delete;

  void start();
  void stop();  // idempotent

 private:
  void run();
  void pass();

  store& store_;
  const std::int64_t days_;
  const std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace sorak
