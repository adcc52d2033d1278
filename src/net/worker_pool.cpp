#include "net/worker_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "net/audience.hpp"
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

void worker::schedule_round(std::shared_ptr<audience> r) {
  rounds.push_back(std::move(r));
  request_flush();
}

void worker::schedule_flush(std::shared_ptr<ws_session> s) {
  dirty.push_back(std::move(s));
  request_flush();
}

void worker::request_flush() {
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
  // Seal the rounds first: each queues on its viewers, which join `dirty`
  // (flush_posted is still set, so that posts no second flush).
  if (!rounds.empty()) {
    sealing.swap(rounds);
    for (auto& r : sealing) r->seal_round(index);
    sealing.clear();
  }
  flush_posted = false;
  auto batch = std::move(dirty);
  dirty.clear();
  if (ring) {
    flush_through_ring(batch);
  } else {
    for (auto& s : batch) s->flush();
  }
  if (dirty.empty() && dirty.capacity() < batch.capacity()) {
    batch.clear();
    dirty.swap(batch);  // keep the capacity: no allocation on the next round
  }
  last_flush_end = std::chrono::steady_clock::now();
  last_flush_length = last_flush_end - start;
}

// `batch` keeps every session alive until its call completes.
void worker::flush_through_ring(std::vector<std::shared_ptr<ws_session>>& batch) {
  const std::size_t cap = std::min(ring->capacity(), batch.size());
  if (ring_msgs.size() < cap) {  // grows to the largest round seen, at most the ring's size
    ring_msgs.resize(cap);
    ring_iovs.resize(cap * max_iov);
  }
  std::size_t next = 0;
  while (next < batch.size()) {
    ring_sessions.clear();
    for (; next < batch.size() && ring->queued() < cap; ++next) {
      ws_session* s = batch[next].get();
      if (!s->plain()) {
        s->flush();
        continue;
      }
      if (!s->begin_flush()) continue;
      const std::size_t k = ring_sessions.size();
      msghdr& m = ring_msgs[k];
      m = msghdr{};
      m.msg_iov = &ring_iovs[k * max_iov];
      m.msg_iovlen = s->gather(m.msg_iov, max_iov);
      ring->add(s->native_fd(), &m, k);
      ring_sessions.push_back(s);
    }
    if (ring_sessions.empty()) break;
    ring->run([this](std::uint64_t k, int result) { ring_sessions[k]->sent_from_ring(result); });
  }
}

worker_pool::worker_pool(std::size_t count, std::size_t read_buffer_bytes, bool use_ring) {
  count = std::max<std::size_t>(count, 1);
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<worker>(i));
    workers_.back()->read_buffer.resize(read_buffer_bytes);
  }
  use_ring_ = use_ring;
}

worker_pool::~worker_pool() { stop(); }

void worker_pool::start(std::int64_t tick_ms) {
  tick_ms_ = std::max<std::int64_t>(tick_ms, 10);
  for (auto& w : workers_) {
    w->tick_timer = std::make_unique<boost::asio::steady_timer>(w->ioc);
    schedule_tick(*w);
    threads_.emplace_back([w = w.get(), ring = use_ring_] {
      // Made on the worker's own thread: the ring accepts submissions only from it.
      if (ring && !(w->ring = send_ring::create(send_ring_entries)) && w->index == 0)
        spdlog::warn("io_uring is not available here: each viewer's writes use sendmsg");
      auto guard = boost::asio::make_work_guard(w->ioc);
      w->ioc.run();
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
