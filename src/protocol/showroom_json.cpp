#include "protocol/showroom_json.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

#include "core/clock.hpp"

namespace sorak {

namespace json = boost::json;

json::object showroom_message(const message& m) {
  json::value gifts = nullptr;
  if (m.gift) {
    gifts = json::object{{"gift_id", m.gift->gift_id},
                         {"gift_name", m.gift->gift_name},
                         {"quantity", m.gift->quantity},
                         {"total_stars", m.gift->total_stars}};
  }
  return {{"id", m.id},
          {"user", json::object{{"user_id", m.user.id},
                                {"username", m.user.username},
                                {"display_name", m.user.display_name},
                                {"avatar", m.user.avatar_url},
                                {"level", m.user.level},
                                {"is_premium", m.user.is_premium}}},
          {"message", m.content},
          {"timestamp", format_rfc3339_ms(m.created_at)},
          {"type", m.type == message_type::gift ? "gift" : "chat"},
          {"gifts", std::move(gifts)},
          {"stars", m.stars}};
}

json::object showroom_member(const stream& s) {
  const member_info none;
  const member_info& m = s.member ? *s.member : none;
  return {{"name", m.name}, {"nickname", m.nickname}, {"team", m.team}};
}

millis stream_elapsed(const stream& s, millis now) {
  const millis until = s.ended_at ? *s.ended_at : now;
  return std::max<millis>(until - s.started_at, 0);
}

json::object showroom_stream_info(const stream& s, std::int64_t viewers, millis now) {
  return {{"room_id", s.room_id},
          {"room_name", s.room_name},
          {"title", s.title},
          {"status", to_string(s.status)},
          {"viewers", viewers},
          {"duration", format_duration(stream_elapsed(s, now))},
          {"member", showroom_member(s)}};
}

json::object showroom_stats(const stats_snapshot& st, const stream& s, millis now) {
  json::array top;
  for (auto& id : top_gift_ids(st.gifts, 3)) top.emplace_back(id);
  return {{"total_messages", st.total_messages},
          {"unique_users", st.unique_users},
          {"messages_per_minute",
           messages_per_minute(st.total_messages, s.started_at, s.started_at + stream_elapsed(s, now))},
          {"total_stars", st.total_stars},
          {"gift_count", st.gift_count},
          {"top_gifts", std::move(top)}};
}

}  // namespace sorak
