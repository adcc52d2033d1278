// poll_clock.hpp: the poll tick (chat_service::poll_tick) every
// chat_service::poll_tick_ms: a timer on worker 0 finds the rooms with an open
// poll and, when there are some, runs the tick on the blocking pool (it reads
// and writes the store). One tick at a time: a slow store delays the next one
// rather than stacking them.
#pragma once

#include <atomic>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "net/services.hpp"

namespace sorak {

class poll_clock {
 public:
  explicit poll_clock(services& svc) : svc_(svc) {}
  // On worker 0; runs until its io_context stops.
  void start();

 private:
  void schedule();
  void tick();

  services& svc_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> busy_{false};
};

}  // namespace sorak
