#include "net/poll_clock.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "net/blocking_pool.hpp"
#include "net/worker_pool.hpp"

namespace sorak {

void poll_clock::start() {
  timer_ = std::make_unique<boost::asio::steady_timer>(svc_.workers.at(0).ioc);
  schedule();
}

void poll_clock::schedule() {
  timer_->expires_after(std::chrono::milliseconds(chat_service::poll_tick_ms));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    schedule();
  });
}

void poll_clock::tick() {
  std::vector<std::shared_ptr<room>> polling;
  for (auto& r : svc_.rooms.all()) {
    auto p = r->current_poll();
    if (p && !p->closed_at) polling.push_back(std::move(r));
  }
  if (polling.empty() || busy_.exchange(true)) return;
  svc_.blocking.post([this, polling = std::move(polling)] {
    svc_.chat.poll_tick(polling, now_millis());
    busy_.store(false);
  });
}

}  // namespace sorak
