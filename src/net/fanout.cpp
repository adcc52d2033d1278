#include "net/fanout.hpp"

#include <boost/asio/post.hpp>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "net/services.hpp"
#include "net/worker_pool.hpp"
#include "protocol/events.hpp"
#include "protocol/ws_deflate.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

fanout::fanout(services& svc) : svc_(svc) {}

void fanout::on_event(const room_event& ev) {
  metrics::broker_lag_seconds().observe(std::chrono::microseconds(std::max<std::int64_t>(0, broker_clock_us() - ev.published_at_us)));
  auto r = svc_.rooms.route(ev);
  if (!r) return;  // not open here (or kept until its room has loaded)
  std::lock_guard lk(r->event_mutex());
  const std::uint64_t seq = r->apply(ev);
  r->touch(now_millis());
  if (seq != 0 && ev.kind == event_kind::message && ev.msg && !ev.origin.empty() && ev.origin != svc_.rooms.node_id())
    svc_.chat.note_remote_message(*r, *ev.msg);
  if (seq == 0) return;
  if (auto a = find(ev.stream_id)) {
    const bool chat = ev.kind == event_kind::message && ev.msg && ev.msg->type == message_type::message;
    deliver(a, ev.json, seq, chat ? ev.msg : nullptr);
  }
}

std::shared_ptr<audience> fanout::find(const std::string& stream_id) const {
  std::shared_lock lk(mutex_);
  auto it = audiences_.find(stream_id);
  return it == audiences_.end() ? nullptr : it->second;
}

std::shared_ptr<audience> fanout::join(const std::shared_ptr<room>& r) {
  std::unique_lock lk(mutex_);
  auto& a = audiences_[r->stream_id()];
  if (!a || a->the_room() != r) a = std::make_shared<audience>(r, svc_.workers.size());
  return a;
}

void fanout::deliver(const std::shared_ptr<audience>& a, const std::shared_ptr<const std::string>& json, std::uint64_t seq,
                     const std::shared_ptr<const message>& chat) {
  // Into the room's round on each worker with viewers: the worker's next
  // flush seals the round and queues it, one buffer, on every local viewer.
  auto frame = make_text_frame(*json);
  auto& workers = svc_.workers;
  for (std::size_t w = 0; w < workers.size(); ++w) {
    if (!a->has_viewers(w)) continue;
    worker& wk = workers.at(w);
    boost::asio::post(wk.ioc, [a, frame, seq, chat, &wk] {
      if (a->append_to_round(wk.index, *frame, seq, chat)) wk.schedule_round(a);
    });
  }
}

void fanout::deliver_viewer_count(const std::shared_ptr<audience>& a, std::int64_t count) {
  // Not part of the rounds (a snapshot, needing no order): each local viewer
  // queues the frame itself. Every worker gets its own copy, so the reference
  // count viewers' queues take stays on that worker's core.
  // The deflated frame (for viewers with permessage-deflate) is made here
  // once too, whether or not any viewer wants it: one small event per room
  // every few seconds.
  const std::string json = viewer_count_event(count);
  const frame_bytes frame = make_text_frame(json);
  const frame_bytes deflated = make_deflated_text_frame(json);
  bool first = true;
  for (std::size_t w = 0; w < svc_.workers.size(); ++w) {
    if (!a->has_viewers(w)) continue;
    frame_bytes own = first ? frame : std::make_shared<const std::string>(*frame);
    frame_bytes own_deflated = first ? deflated : std::make_shared<const std::string>(*deflated);
    first = false;
    boost::asio::post(svc_.workers.at(w).ioc, [a, w, count, own = std::move(own), own_deflated = std::move(own_deflated)] {
      a->for_each_viewer(w, [&](viewer* v) { v->deliver_viewer_count(own, own_deflated, count); });
    });
  }
}

// ---- the periodic tick -------------------------------------------------------------

void fanout::start() {
  timer_ = std::make_unique<boost::asio::steady_timer>(svc_.workers.at(0).ioc);
  schedule_tick();
}

// Viewer counts go out every viewer_count_interval_ms; idle rooms are looked
// for a tenth of the idle time apart (1 s to 30 s), so a room closes within
// 110 % of --room-idle-seconds. The tick runs at the shorter of the two.
std::int64_t fanout::idle_check_ms() const {
  return std::clamp<std::int64_t>(svc_.config.room_idle_seconds * 100, 1000, 30'000);
}

void fanout::schedule_tick() {
  timer_->expires_after(std::chrono::milliseconds(std::min(svc_.config.viewer_count_interval_ms, idle_check_ms())));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    housekeeping();
    schedule_tick();
  });
}

void fanout::housekeeping() {
  const millis now = now_millis();
  if (now - last_counts_ >= svc_.config.viewer_count_interval_ms) {
    last_counts_ = now;
    const auto rooms = svc_.rooms.all();
    publish_counts(rooms);
    send_counts();
    svc_.chat.sweep(rooms, now);
  }
  if (now - last_idle_check_ < idle_check_ms()) return;
  last_idle_check_ = now;
  drop_unwatched();
  const std::size_t closed = svc_.rooms.close_idle(now, svc_.config.room_idle_seconds * millis{1000});
  if (closed == 0) return;
  spdlog::debug("rooms: closed {} idle", closed);
  svc_.st.release_memory();
  malloc_trim(0);  // hand the freed rings back to the system
}

// This node's count of each room's viewers, when it changed, for every node
// (broker::count_viewers: every node, not only those with the room open).
void fanout::publish_counts(const std::vector<std::shared_ptr<room>>& rooms) {
  std::vector<std::pair<std::string, std::int64_t>> changed;
  for (const auto& r : rooms) {
    const std::int64_t here = r->viewers_here().load(std::memory_order_relaxed);
    if (r->last_published_viewer_count().exchange(here) == here) continue;
    changed.emplace_back(r->stream_id(), here);
  }
  if (!changed.empty()) svc_.message_broker.count_viewers(std::move(changed));
}

void fanout::send_counts() {
  std::vector<std::shared_ptr<audience>> all;
  {
    std::shared_lock lk(mutex_);
    all.reserve(audiences_.size());
    for (const auto& [id, a] : audiences_) all.push_back(a);
  }
  for (const auto& a : all) {
    const auto count = a->the_room()->viewer_total();
    if (a->the_room()->last_sent_viewer_count().exchange(count) == count) continue;
    deliver_viewer_count(a, count);
  }
}

// An audience nobody holds (no session, no queued round) goes, and with it
// its hold on the room.
void fanout::drop_unwatched() {
  std::unique_lock lk(mutex_);
  boost::unordered::erase_if(audiences_, [](const auto& kv) { return kv.second.use_count() == 1; });
}

}  // namespace sorak
