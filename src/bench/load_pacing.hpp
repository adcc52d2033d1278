// load_pacing.hpp: the pacing part of a load thread; when each connection
// starts and when each message is sent. Arithmetic and bookkeeping only: the
// load thread owns the timers and asks these when to wake.
//
// open_schedule: a group of connections opened at most `limit` at a time,
// closed loop (each as soon as one settles) or open loop (connection k of
// the group due at start + k / rate, whatever the server does).
// send_schedule: `quota` messages spread evenly over a duration (message k
// due at start + k · duration / quota), each from the next ready sender in
// turn, or (weighted) by smooth weighted round-robin over the ready senders'
// connection::weight, as nginx balances upstreams: each pick every ready
// sender gains its weight in credit, the richest sends and pays the total.
//
// Thread rule: each belongs to one load thread and is called on it only.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/connection.hpp"

namespace sorak::bench {

class open_schedule {
 public:
  // Replaces the queue; `rate` ≤ 0 is closed loop. A limit below 1 is 1.
  void begin(std::vector<connection*> group, std::uint32_t limit, double rate, std::int64_t now);
  // No more starts (abandon): take_any() still hands out the rest.
  void stop() { limit_ = 0; }
  bool stopped() const { return limit_ == 0; }

  bool paced() const { return interval_ns_ > 0; }
  // The next connection may start: one waits and fewer than limit are in progress.
  bool may_start() const { return in_progress_ < limit_ && next_ < queue_.size(); }
  // When the next one is due (open loop); 0 when closed loop.
  std::int64_t next_due_ns() const;
  // The next one, now in progress; REQUIRES: may_start().
  connection& take();
  // The next one whatever the limit, now in progress; null when none waits.
  connection* take_any();
  // One in progress became ready or failed.
  void settled() {
    if (in_progress_ > 0) --in_progress_;
  }

 private:
  std::vector<connection*> queue_;
  std::size_t next_ = 0;
  std::uint32_t in_progress_ = 0;
  std::uint32_t limit_ = 1;
  double interval_ns_ = 0;  // 0: closed loop
  std::int64_t start_ns_ = 0;
};

class send_schedule {
 public:
  void begin(std::uint64_t quota, std::int64_t start_ns, std::int64_t duration_ns);
  // Messages due by `now` in all: 0 before the start, the quota after the end.
  std::uint64_t due(std::int64_t now) const;
  std::uint64_t issued() const { return issued_; }
  void issue() { ++issued_; }
  // No sender is left: the rest of the quota will not be sent; returns how many.
  std::uint64_t give_up();
  bool done() const { return issued_ >= quota_; }

  void add_sender(connection* s) { senders_.push_back(s); }
  const std::vector<connection*>& senders() const { return senders_; }
  // The next ready sender in turn; null when none is ready.
  connection* next_sender();
  void set_weighted(bool weighted) { weighted_ = weighted; }

 private:
  connection* next_weighted();

  std::vector<connection*> senders_;
  std::size_t next_sender_ = 0;
  std::uint64_t quota_ = 0;
  std::uint64_t issued_ = 0;
  std::int64_t start_ns_ = 0;
  std::int64_t duration_ns_ = 1;
  bool weighted_ = false;
};

}  // namespace sorak::bench
