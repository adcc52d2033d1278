#include "core/room_reads.hpp"

#include <limits>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/showroom_json.hpp"

namespace sorak {

std::optional<std::vector<message>> store_part_for_since(const room& r, store& st, std::string_view since,
                                                          const recovery_limits& lim) {
  if (r.after(since, lim.recovery_max).found) return std::nullopt;
  auto older = st.after(r.stream_id(), since, static_cast<int>(lim.recovery_max) + 1);
  if (!older) return std::vector<message>{};  // unknown id: not recoverable
  return std::move(*older);
}

namespace {

// The store's part up to where the ring starts, then the ring. Not exact when
// the store's part was cut at the limit, or the ring has moved past the
// newest message the store returned since it was read.
history_snapshot merge(const room& r, const std::vector<message>& older, const recovery_limits& lim, bool& exact) {
  auto ring = r.latest(std::numeric_limits<std::size_t>::max());
  const auto oldest_ring = r.oldest_recent();
  history_snapshot snap;
  snap.seq = ring.seq;
  exact = !older.empty() && older.size() <= lim.recovery_max;
  if (exact && oldest_ring && older.back().created_at < *oldest_ring && !r.ring_holds_all()) exact = false;
  if (!exact) return snap;
  for (const auto& m : older) {
    if (oldest_ring && m.created_at >= *oldest_ring) break;  // the ring has it
    snap.message_events.push_back(std::make_shared<const std::string>(message_event(encode_message(m))));
  }
  for (auto& e : ring.message_events) snap.message_events.push_back(std::move(e));
  exact = snap.message_events.size() <= lim.recovery_max;
  return snap;
}

}  // namespace

history_snapshot recover_since(const room& r, std::string_view since, const std::optional<std::vector<message>>& older,
                               const recovery_limits& lim, bool& recovered) {
  auto snap = r.after(since, lim.recovery_max);
  recovered = snap.found;
  if (!recovered && older) snap = merge(r, *older, lim, recovered);
  if (!recovered) snap = r.latest(lim.history_on_connect);
  return snap;
}

// ---- REST history ------------------------------------------------------------------

result<shared_json> first_history_page(const room& r, store& st, std::size_t limit) {
  auto page = r.cached(room::view::rest_page, limit, [&] {
    bool has_more = false;
    auto snap = r.latest_page(limit, has_more);
    if (!snap) return room::cached_view{};
    return room::cached_view{
        std::make_shared<const std::string>(history_page_json(snap->message_events, has_more, snap->first_id)),
        snap->seq};
  });
  if (page.body) return page.body;
  auto stored = st.history(r.stream_id(), static_cast<int>(limit), std::nullopt);
  if (!stored) return stored.err();
  return std::make_shared<const std::string>(history_page_body(*stored));
}

std::string history_page_body(const history_page& page) {
  boost::json::array messages;
  messages.reserve(page.messages.size());
  for (const auto& m : page.messages) messages.push_back(to_json(m));
  boost::json::value cursor = nullptr;
  if (page.next_cursor) cursor = boost::json::value(*page.next_cursor);
  return boost::json::serialize(boost::json::object{
      {"messages", std::move(messages)}, {"has_more", page.has_more}, {"next_cursor", std::move(cursor)}});
}

// ---- the Showroom feed ---------------------------------------------------------------

namespace {

shared_json serialize_feed(const std::vector<const message*>& oldest_first) {
  boost::json::array out;
  out.reserve(oldest_first.size());
  for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it) out.push_back(showroom_message(**it));
  return std::make_shared<const std::string>(boost::json::serialize(out));
}

}  // namespace

shared_json showroom_feed(const room& r, store& st, std::size_t limit, std::optional<millis> since) {
  auto from_ring = [&]() -> room::cached_view {
    auto snap = r.feed(limit, since);
    if (!snap) return {};
    std::vector<const message*> msgs;
    msgs.reserve(snap->messages.size());
    for (const auto& m : snap->messages) msgs.push_back(m.get());
    return {serialize_feed(msgs), snap->seq};
  };
  if (!since) {
    if (auto v = r.cached(room::view::showroom_feed, limit, from_ring); v.body) return v.body;
  } else if (auto v = from_ring(); v.body) {
    return v.body;
  }
  auto feed = st.chat_feed(r.stream_id(), static_cast<int>(limit), since);
  std::vector<const message*> msgs;
  msgs.reserve(feed.size());
  for (const auto& m : feed) msgs.push_back(&m);
  return serialize_feed(msgs);
}

}  // namespace sorak
