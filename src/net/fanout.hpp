// fanout.hpp: from one room event to every local viewer's queue.
//
// The broker's receiver on this node. For each event: record it in the room
// (ring, sequence number), frame it once, and post ONE task per worker that
// has viewers in the room; that task, on the worker's thread, appends the
// frame to the room's round on that worker (room::append_to_round). The
// worker's next flush seals the round: one buffer holding every event since
// the last flush, queued by each local viewer as one entry and written as one
// iovec. Cost per viewer: a pointer copy and a bounded-queue push per round,
// not per event; no lock, no copy of the bytes.
//
// Also sends viewer_count every interval to rooms whose count changed.
// Thread-safety: on_event may be called from any thread; events of one room
// are recorded and posted under that room's fan-out lock, so every worker
// sees them in sequence order.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "sorak/broker.hpp"

namespace sorak {

struct services;
class room;

class fanout {
 public:
  explicit fanout(services& svc);
  void on_event(const room_event& ev);
  // Starts the viewer_count / housekeeping timer on worker 0.
  void start();

 private:
  void deliver(const std::shared_ptr<room>& r, std::shared_ptr<const std::string> frame, std::uint64_t seq);
  void deliver_viewer_count(const std::shared_ptr<room>& r, std::int64_t count);
  void schedule_tick();
  void on_tick();

  services& svc_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace sorak
