#include "protocol/stats_json.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

#include "core/clock.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/showroom_json.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

json::array timeline_json(const std::vector<minute_tally>& minutes) {
  json::array out;
  out.reserve(minutes.size());
  for (const auto& m : minutes) {
    out.push_back(json::object{{"minute", format_rfc3339_ms(m.minute)},
                               {"messages", m.messages},
                               {"gifts", m.gifts},
                               {"stars", m.stars},
                               {"viewers", m.viewers}});
  }
  return out;
}

json::object gifter_json(const user_tally& u) {
  return {{"user", to_json(u.user)}, {"stars", u.stars}, {"gifts", u.gifts}};
}

}  // namespace

json::object stream_stats_json(const stats_snapshot& st, const stream& s, std::int64_t viewers, millis now) {
  json::object out = showroom_stats(st, s, now);
  out["stream_id"] = s.id;
  out["room_id"] = s.room_id;
  out["status"] = to_string(s.status);
  out["started_at"] = format_rfc3339_ms(s.started_at);
  out["ended_at"] = s.ended_at ? json::value(format_rfc3339_ms(*s.ended_at)) : json::value(nullptr);
  out["duration"] = format_duration(stream_elapsed(s, now));
  out["viewers"] = viewers;
  out["peak_viewers"] = std::max(st.peak_viewers, viewers);
  out["chat_messages"] = st.chat_messages;
  out["timeline"] = timeline_json(st.timeline);
  json::array chatters, gifters, gifts;
  for (const auto& u : st.top_chatters)
    chatters.push_back(json::object{{"user", to_json(u.user)}, {"messages", u.messages}});
  for (const auto& u : st.top_gifters) gifters.push_back(gifter_json(u));
  for (const auto& g : st.gifts) {
    gifts.push_back(json::object{{"gift_id", g.gift_id},
                                 {"gift_name", g.gift_name},
                                 {"count", g.quantity},
                                 {"messages", g.messages},
                                 {"total_stars", g.stars}});
  }
  out["top_chatters"] = std::move(chatters);
  out["top_gifters"] = std::move(gifters);
  out["gifts"] = std::move(gifts);
  return out;
}

json::object leaderboard_json(const std::vector<user_tally>& gifters) {
  json::array list;
  for (const auto& u : gifters) list.push_back(gifter_json(u));
  return {{"leaderboard", std::move(list)}};
}

}  // namespace sorak
