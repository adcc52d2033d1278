// chat_service: votes and the poll tick (CONTRACT §12). Creating and closing a
// poll are staff actions (moderation_polls.cpp).
#include "core/chat_service.hpp"
#include "core/clock.hpp"
#include "core/room_events.hpp"

#include <spdlog/spdlog.h>

namespace sorak {

status chat_service::vote(room& r, const principal& who, std::string_view poll_id, long long option) {
  if (who.read_only) return error(errc::read_only, "This token may read the chat but not vote");
  const millis now = now_millis();
  if (auto s = r.moderation().check_sender(who.user.id, now); !s) return s;
  if (option < 0 || option > 100) return error(errc::invalid_option);
  if (auto s = store_.add_vote(r.stream_id(), poll_id, who.user.id, static_cast<int>(option), now); !s) return s;
  r.mark_poll_dirty();
  return ok_value;
}

void chat_service::poll_tick(const std::vector<std::shared_ptr<room>>& rooms, millis now) {
  for (const auto& r : rooms) {
    auto p = r->current_poll();
    if (!p || p->closed_at) continue;
    if (now >= p->ends_at) {
      auto closed = store_.close_poll(r->stream_id(), p->id, now);
      if (closed) {
        r->take_poll_dirty();
        broker_.publish(poll_changed(std::make_shared<const poll>(std::move(*closed)), now));
      } else if (!closed.err().is(errc::poll_closed)) {
        spdlog::warn("polls: cannot close poll {} of stream {}: {}", p->id, r->stream_id(), closed.err().message);
      }
      continue;  // closed by another node: its final event is on its way
    }
    if (!r->take_poll_dirty()) continue;
    auto counted = store_.get_poll(r->stream_id(), p->id);
    if (!counted) {
      r->mark_poll_dirty();  // try again at the next tick
      continue;
    }
    broker_.publish(poll_changed(std::make_shared<const poll>(std::move(*counted)), now));
  }
}

}  // namespace sorak
