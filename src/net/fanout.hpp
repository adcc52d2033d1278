// fanout.hpp: from one broker event to every local viewer's queue.
//
// The broker's receiver on this node. For each event: the room registry
// routes it to the open room (or keeps it for a room still opening); the
// room applies it (core: room::apply, the only place a room's state changes);
// if viewers are sent it, the frame is built once and ONE task is posted to
// each worker that has viewers of the room; that task, on the worker's
// thread, appends the frame to the room's round there (net/audience.hpp). The
// worker's next flush seals the round: one buffer holding every event since
// the last flush, queued by each local viewer as one entry. Cost per viewer:
// a pointer copy and a bounded-queue push per round, not per event; no lock,
// no copy of the bytes.
//
// The periodic tick (worker 0; every --viewer-count-interval-ms) publishes
// this node's viewer count of each room that changed (broker::count_viewers:
// every node adds them to its own), sends viewer_count to rooms whose total
// changed; every tenth of --room-idle-seconds it drops audiences
// nobody watches and closes rooms idle that long.
//
// Thread-safety: on_event may be called from any thread; a room's events are
// applied and posted under its event_mutex, so every worker sees them in
// sequence order. join() may be called from any thread.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <shared_mutex>
#include <string>

#include <boost/unordered/unordered_flat_map.hpp>

#include "net/audience.hpp"
#include "sorak/types.hpp"
#include "sorak/broker.hpp"

namespace sorak {

struct services;

class fanout {
 public:
  explicit fanout(services& svc);
  void on_event(const room_event& ev);
  // The room's audience on this node, made on its first viewer. Holding it
  // keeps the room open.
  std::shared_ptr<audience> join(const std::shared_ptr<room>& r);
  // Starts the viewer_count / housekeeping timer on worker 0.
  void start();
  // The tick's work, callable directly (tests): counts, sweeps, closes.
  void housekeeping();

 private:
  std::shared_ptr<audience> find(const std::string& stream_id) const;
  void deliver(const std::shared_ptr<audience>& a, const std::shared_ptr<const std::string>& json, std::uint64_t seq,
               const std::shared_ptr<const message>& chat);
  void deliver_viewer_count(const std::shared_ptr<audience>& a, std::int64_t count);
  void publish_counts(const std::vector<std::shared_ptr<room>>& rooms);
  void send_counts();
  void drop_unwatched();
  void schedule_tick();
  std::int64_t idle_check_ms() const;

  services& svc_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  millis last_counts_ = 0;      // worker 0's, like the timer
  millis last_idle_check_ = 0;
  mutable std::shared_mutex mutex_;
  boost::unordered_flat_map<std::string, std::shared_ptr<audience>> audiences_;  // GUARDED_BY(mutex_), by stream id
};

}  // namespace sorak
