#include "core/room_events.hpp"

#include "core/room.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"
#include "core/clock.hpp"

#include <boost/json/serialize.hpp>

namespace sorak {

namespace {
room_event of(std::string_view stream_id, event_kind kind) {
  room_event ev;
  ev.stream_id = stream_id;
  ev.kind = kind;
  return ev;
}

std::shared_ptr<const std::string> shared(std::string json) { return std::make_shared<const std::string>(std::move(json)); }
}  // namespace

room_event message_posted(std::shared_ptr<const message> msg, std::shared_ptr<const std::string> json) {
  auto ev = of(msg->stream_id, event_kind::message);
  ev.msg = std::move(msg);
  ev.json = std::move(json);
  return ev;
}

room_event message_deleted(std::string_view stream_id, std::string_view message_id) {
  auto ev = of(stream_id, event_kind::message_deleted);
  ev.target = message_id;
  ev.json = shared(message_deleted_event(message_id));
  return ev;
}

room_event chat_cleared(std::string_view stream_id, std::string_view user_id) {
  auto ev = of(stream_id, event_kind::chat_cleared);
  ev.target = user_id;
  ev.json = shared(chat_cleared_event(user_id));
  return ev;
}

room_event stream_changed(const stream& s, bool status_changed) {
  auto ev = of(s.id, event_kind::stream_changed);
  ev.info = s;
  if (status_changed) ev.json = shared(stream_status_event(s.status));
  return ev;
}

room_event badge_changed(std::string_view stream_id, std::string_view user_id, std::optional<stream_badge> badge) {
  auto ev = of(stream_id, event_kind::badge_changed);
  ev.target = user_id;
  ev.badge = badge;
  return ev;
}

room_event sanction_imposed(const sanction& s) {
  auto ev = of(s.stream_id, event_kind::sanction_imposed);
  ev.target = s.user_id;
  ev.sanction_set = s;
  return ev;
}

room_event sanction_lifted(std::string_view stream_id, std::string_view user_id, sanction_kind kind) {
  auto ev = of(stream_id, event_kind::sanction_lifted);
  ev.target = user_id;
  ev.lifted = kind;
  return ev;
}

room_event moderation_reloaded(std::string_view stream_id, std::vector<badge_grant> badges, std::vector<sanction> sanctions,
                               std::vector<blocked_term> terms) {
  auto ev = of(stream_id, event_kind::moderation_reloaded);
  ev.moderation = std::make_shared<const moderation_snapshot>(
      moderation_snapshot{std::move(badges), std::move(sanctions), std::move(terms)});
  return ev;
}

room_event terms_changed(std::string_view stream_id, std::vector<blocked_term> terms) {
  auto ev = of(stream_id, event_kind::terms_changed);
  ev.terms = std::make_shared<const std::vector<blocked_term>>(std::move(terms));
  return ev;
}

room_event pin_changed(std::string_view stream_id, std::shared_ptr<const message> pinned) {
  auto ev = of(stream_id, event_kind::pin_changed);
  ev.json = shared(pinned_event(pinned ? encode_message(*pinned) : std::string()));
  ev.msg = std::move(pinned);
  return ev;
}

room_event poll_changed(std::shared_ptr<const poll> p, millis now) {
  auto ev = of(p->stream_id, event_kind::poll_changed);
  ev.json = shared(poll_event(boost::json::serialize(to_json(*p, now))));
  ev.poll_state = std::move(p);
  return ev;
}

std::shared_ptr<const message> pinned_message(store& st, std::string_view stream_id) {
  auto pin = st.get_pin(stream_id);
  if (!pin) return nullptr;
  auto m = st.get_message(stream_id, pin->message_id);
  if (!m || m->deleted) return nullptr;
  return std::make_shared<const message>(std::move(*m));
}

std::vector<room_event> state_of(const room& r, store& st) {
  std::vector<room_event> out;
  const std::string& id = r.stream_id();
  if (auto s = st.get_stream(id)) out.push_back(stream_changed(*s, s->status != r.info().status));
  out.push_back(moderation_reloaded(id, st.list_badges(id), st.list_sanctions(id), st.list_blocked_terms(id)));
  auto pinned = pinned_message(st, id);
  const auto shown = r.pinned();
  if ((pinned ? pinned->id : std::string()) != (shown ? shown->id : std::string()))
    out.push_back(pin_changed(id, std::move(pinned)));
  auto polls = st.list_polls(id, 1);
  const auto shown_poll = r.current_poll();
  if (!polls.empty()) {
    const poll& p = polls.front();
    const bool same = shown_poll && shown_poll->id == p.id && shown_poll->closed_at == p.closed_at &&
                      shown_poll->total_votes() == p.total_votes();
    if (!same && (p.open_at(now_millis()) || shown_poll)) out.push_back(poll_changed(std::make_shared<const poll>(p), now_millis()));
  }
  if (auto oldest = r.oldest_recent_id()) {
    // deleted_after is strictly after: the ring's oldest is asked on its own.
    if (auto first = st.get_message(id, *oldest); first && first->deleted) out.push_back(message_deleted(id, *oldest));
    for (const message& m : st.deleted_after(id, *oldest))
      if (r.find_recent(m.id)) out.push_back(message_deleted(id, m.id));
  }
  return out;
}

}  // namespace sorak
