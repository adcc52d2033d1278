#include "net/fanout.hpp"

#include <boost/asio/post.hpp>

#include "app/services.hpp"
#include "core/clock.hpp"
#include "net/worker_pool.hpp"
#include "protocol/events.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

fanout::fanout(services& svc) : svc_(svc) {}

void fanout::on_event(const room_event& ev) {
  auto r = svc_.rooms.find(ev.stream_id);
  if (!r) return;  // nobody on this node watches it; the store has it for later
  if (ev.kind == event_kind::stream_status) {
    if (auto s = svc_.st.get_stream(ev.stream_id)) r->set_info(*s);
  }
  std::lock_guard lk(r->fanout_mutex());
  std::uint64_t seq = 0;
  switch (ev.kind) {
    case event_kind::message:
      seq = r->record_message(ev.msg, ev.json);
      if (seq == 0) return;  // already in the ring (loaded while it was committed)
      break;
    case event_kind::message_deleted:
      seq = r->record_deletion(ev.msg ? ev.msg->id : std::string());
      break;
    case event_kind::chat_cleared:
      seq = r->record_clear(ev.msg ? ev.msg->user.id : std::string());
      break;
    default:
      seq = r->record_other();
  }
  deliver(r, make_text_frame(*ev.json), seq);
}

void fanout::deliver(const std::shared_ptr<room>& r, std::shared_ptr<const std::string> frame, std::uint64_t seq) {
  // Into the room's round on each worker with viewers: the worker's next
  // flush seals the round and queues it, one buffer, on every local viewer.
  auto& workers = svc_.workers;
  for (std::size_t w = 0; w < workers.size(); ++w) {
    if (!r->has_viewers(w)) continue;
    worker& wk = workers.at(w);
    boost::asio::post(wk.ioc, [r, frame, seq, &wk] {
      if (r->append_to_round(wk.index, *frame, seq)) wk.schedule_round(r);
    });
  }
}

void fanout::deliver_viewer_count(const std::shared_ptr<room>& r, std::int64_t count) {
  // Not part of the rounds (a snapshot, needing no order): each local viewer
  // queues the frame itself. Every worker gets its own copy, so the reference
  // count viewers' queues take stays on that worker's core.
  const frame_bytes frame = make_text_frame(viewer_count_event(count));
  bool first = true;
  for (std::size_t w = 0; w < svc_.workers.size(); ++w) {
    if (!r->has_viewers(w)) continue;
    frame_bytes own = first ? frame : std::make_shared<const std::string>(*frame);
    first = false;
    boost::asio::post(svc_.workers.at(w).ioc, [r, w, count, own = std::move(own)] {
      r->for_each_viewer(w, [&](viewer* v) { v->deliver_viewer_count(own, count); });
    });
  }
}

void fanout::start() {
  timer_ = std::make_unique<boost::asio::steady_timer>(svc_.workers.at(0).ioc);
  schedule_tick();
}

void fanout::schedule_tick() {
  timer_->expires_after(std::chrono::milliseconds(svc_.config.viewer_count_interval_ms));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    on_tick();
    schedule_tick();
  });
}

void fanout::on_tick() {
  auto rooms = svc_.rooms.all();
  for (const auto& r : rooms) {
    const auto count = r->viewer_total();
    if (r->last_sent_viewer_count().exchange(count) == count) continue;
    deliver_viewer_count(r, count);
  }
  svc_.chat.sweep(rooms, now_millis());
}

}  // namespace sorak
