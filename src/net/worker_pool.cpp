#include "net/worker_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "net/ws_session.hpp"

namespace sorak {

void worker::add_session(ws_session* s) {
  s->tick_index = sessions.size();
  sessions.push_back(s);
  metrics::local().ws_connections.add(1);
}

void worker::remove_session(ws_session* s) {
  const std::size_t i = s->tick_index;
  if (i >= sessions.size() || sessions[i] != s) return;
  metrics::local().ws_connections.add(-1);
  sessions[i] = sessions.back();
  sessions[i]->tick_index = i;
  sessions.pop_back();
}

void worker::schedule_flush(std::shared_ptr<ws_session> s) {
  dirty.push_back(std::move(s));
  if (flush_posted) return;
  flush_posted = true;
  using clock = std::chrono::steady_clock;
  if (last_flush_length >= min_paced_flush) {
    const auto due = last_flush_end + std::min<clock::duration>(last_flush_length, max_flush_pause);
    if (due > clock::now()) {
      if (!flush_timer) flush_timer = std::make_unique<boost::asio::steady_timer>(ioc);
      flush_timer->expires_at(due);
      flush_timer->async_wait([this](const boost::system::error_code& ec) {
        if (!ec) flush();
      });
      return;
    }
  }
  boost::asio::post(ioc, [this] { flush(); });
}

void worker::flush() {
  const auto start = std::chrono::steady_clock::now();
  flush_posted = false;
  auto batch = std::move(dirty);
  dirty.clear();
  for (auto& s : batch) s->flush();
  if (dirty.empty() && dirty.capacity() < batch.capacity()) {
    batch.clear();
    dirty.swap(batch);  // keep the capacity: no allocation on the next round
  }
  last_flush_end = std::chrono::steady_clock::now();
  last_flush_length = last_flush_end - start;
}

worker_pool::worker_pool(std::size_t count, std::size_t read_buffer_bytes) {
  count = std::max<std::size_t>(count, 1);
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<worker>(i));
    workers_.back()->read_buffer.resize(read_buffer_bytes);
  }
}

worker_pool::~worker_pool() { stop(); }

void worker_pool::start(std::int64_t tick_ms) {
  tick_ms_ = std::max<std::int64_t>(tick_ms, 10);
  for (auto& w : workers_) {
    w->tick_timer = std::make_unique<boost::asio::steady_timer>(w->ioc);
    schedule_tick(*w);
    threads_.emplace_back([&ioc = w->ioc] {
      auto guard = boost::asio::make_work_guard(ioc);
      ioc.run();
    });
  }
}

void worker_pool::schedule_tick(worker& w) {
  w.tick_timer->expires_after(std::chrono::milliseconds(tick_ms_));
  w.tick_timer->async_wait([this, &w](const boost::system::error_code& ec) {
    if (ec) return;
    const millis now = now_millis();
    // on_tick may remove the session from the list: walk a copy.
    auto sessions = w.sessions;
    for (auto* s : sessions) s->on_tick(now);
    schedule_tick(w);
  });
}

void worker_pool::stop() {
  for (auto& w : workers_) w->ioc.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace sorak
